"""The board's sessions and one-time sign-in links, by SHA-256 of their random tokens (see collector/board/session.py).

A session or a link stands for an API key: it is found only while that key is active, so revoking the
key ends its sessions and kills its links at once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg import AsyncConnection

from collector.store.keys import StoredKey
from collector.store.registry import rows


async def start(conn: AsyncConnection[Any], token_sha256: bytes, key_id: str, expires_at: datetime) -> None:
    """A new session of `key_id`; sessions long expired are dropped on the way (they are never read again)."""
    await conn.execute(
        "DELETE FROM board_sessions WHERE expires_at < now() - interval '1 day' OR ended_at < now() - interval '1 day'"
    )
    await conn.execute(
        "INSERT INTO board_sessions (token_sha256, key_id, expires_at) VALUES (%(token)s, %(key)s, %(expires)s)",
        {"token": token_sha256, "key": key_id, "expires": expires_at},
    )


async def find(conn: AsyncConnection[Any], token_sha256: bytes) -> tuple[str, StoredKey, datetime] | None:
    """(key id, its key, expiry) of a live session: not ended, not expired, its key not revoked."""
    found = await rows(
        conn,
        "SELECT s.key_id, k.role, k.org_id, k.service_point_id, k.secret_sha256, s.expires_at"
        " FROM board_sessions s JOIN api_keys k ON k.id = s.key_id AND k.revoked_at IS NULL"
        " WHERE s.token_sha256 = %(token)s AND s.ended_at IS NULL AND s.expires_at > now()",
        {"token": token_sha256},
    )
    if not found:
        return None
    r = found[0]
    key = StoredKey(r["role"], r["org_id"], r["service_point_id"], bytes(r["secret_sha256"]))
    return r["key_id"], key, r["expires_at"]


async def end(conn: AsyncConnection[Any], token_sha256: bytes) -> bool:
    cur = await conn.execute(
        "UPDATE board_sessions SET ended_at = now() WHERE token_sha256 = %(token)s AND ended_at IS NULL",
        {"token": token_sha256},
    )
    return cur.rowcount == 1


async def add_link(conn: AsyncConnection[Any], token_sha256: bytes, key_id: str, expires_at: datetime) -> None:
    await conn.execute("DELETE FROM board_sign_in_links WHERE expires_at < now() - interval '1 day'")
    await conn.execute(
        "INSERT INTO board_sign_in_links (token_sha256, key_id, expires_at) VALUES (%(token)s, %(key)s, %(expires)s)",
        {"token": token_sha256, "key": key_id, "expires": expires_at},
    )


async def use_link(conn: AsyncConnection[Any], token_sha256: bytes) -> str | None:
    """The key id of a live link, which is used up by this call (None: unknown, used, expired or revoked)."""
    found = await rows(
        conn,
        "UPDATE board_sign_in_links s SET used_at = now() FROM api_keys k"
        " WHERE s.token_sha256 = %(token)s AND s.used_at IS NULL AND s.expires_at > now()"
        " AND k.id = s.key_id AND k.revoked_at IS NULL RETURNING s.key_id",
        {"token": token_sha256},
    )
    return found[0]["key_id"] if found else None
