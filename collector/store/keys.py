"""API keys at rest: id, role, optional organisation, SHA-256 of the secret (see collector/api/security.py)."""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection, errors

from collector.store.registry import RegistryError, Row, rows


async def create(
    conn: AsyncConnection[Any], key_id: str, name: str, role: str, org: str | None, secret_sha256: bytes
) -> None:
    try:
        await conn.execute(
            "INSERT INTO api_keys (id, name, role, org_id, secret_sha256) VALUES (%s, %s, %s, %s, %s)",
            (key_id, name, role, org, secret_sha256),
        )
    except errors.ForeignKeyViolation:
        raise RegistryError(422, "unknown-reference", "Unknown organisation", f"no organisation {org!r}") from None


async def listing(conn: AsyncConnection[Any]) -> list[Row]:
    return await rows(
        conn,
        "SELECT id, name, role, org_id AS organisation, created_at, revoked_at FROM api_keys ORDER BY created_at, id",
    )


async def revoke(conn: AsyncConnection[Any], key_id: str) -> bool:
    cur = await conn.execute("UPDATE api_keys SET revoked_at = now() WHERE id = %s AND revoked_at IS NULL", (key_id,))
    return cur.rowcount == 1


async def count_admins(conn: AsyncConnection[Any]) -> int:
    cur = await conn.execute("SELECT count(*) FROM api_keys WHERE role = 'admin' AND revoked_at IS NULL")
    row = await cur.fetchone()
    return int(row[0]) if row else 0
