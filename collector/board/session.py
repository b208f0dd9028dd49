"""Who is reading the board: an API key pasted once becomes a session cookie.

The cookie holds a random token (256 bits); the database keeps only its SHA-256 (`board_sessions`), with
the key it stands for, an expiry and, after sign-out, the time it ended. Every request reads the session
joined to its key, so sign-out, expiry and revoking the key end it at once, server-side. The cookie is
HttpOnly, SameSite=Strict, Secure when the board is served over HTTPS, and scoped to `/board`.

A one-time sign-in link (`mlf-collector admin key sign-in-link`) carries another random token, never the
key: it works once, for a few minutes, and its URL is dead afterwards (the browser is sent to a clean URL).
Only reader and admin keys may sign in; the board then sees exactly what the key sees through the API
(its role, its organisation, the reader resolution), because it calls the API's own functions with it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, Request
from psycopg import AsyncConnection

from collector.api.deps import PoolDep
from collector.api.security import TOKEN, Principal, RateLimits, digest
from collector.store import board_sessions, keys

COOKIE = "mlf_board_session"
PATH = "/board"
SIGN_IN_ROLES = ("admin", "reader")


class SignInRequired(Exception):
    """No live session: HTML pages send the browser to the sign-in page, JSON twins answer 401."""


def _hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


async def key_of(conn: AsyncConnection[Any], pasted: str) -> Principal | None:
    """The principal of a pasted API key that may sign in (reader or admin, active), else None."""
    match = TOKEN.match(pasted.strip())
    if match is None:
        return None
    found = await keys.find(conn, match.group(1))
    if found is None or not hmac.compare_digest(found.secret_sha256, digest(match.group(2))):
        return None
    if found.role not in SIGN_IN_ROLES:
        return None
    return Principal(match.group(1), found.role, found.org, found.service_point)  # type: ignore[arg-type]


async def start(conn: AsyncConnection[Any], key_id: str, hours: float) -> tuple[str, datetime]:
    """A new session of `key_id`: its cookie value and expiry."""
    token = new_token()
    expires = datetime.now(UTC) + timedelta(hours=hours)
    await board_sessions.start(conn, _hash(token), key_id, expires)
    return token, expires


async def end(conn: AsyncConnection[Any], token: str) -> None:
    await board_sessions.end(conn, _hash(token))


async def new_link(conn: AsyncConnection[Any], key_id: str, minutes: float) -> str:
    """A one-time sign-in token for `key_id` (the path is `/board/sign-in?link=<token>`)."""
    token = new_token()
    await board_sessions.add_link(conn, _hash(token), key_id, datetime.now(UTC) + timedelta(minutes=minutes))
    return token


async def use_link(conn: AsyncConnection[Any], token: str) -> str | None:
    """The key id a link signs in, using the link up; None when it is unknown, used, expired or revoked."""
    return await board_sessions.use_link(conn, _hash(token))


def set_cookie(request: Request, response: Any, token: str, expires: datetime) -> None:
    response.set_cookie(
        COOKIE,
        token,
        expires=expires,
        path=PATH,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def clear_cookie(request: Request, response: Any) -> None:
    response.delete_cookie(COOKIE, path=PATH, httponly=True, samesite="strict", secure=request.url.scheme == "https")


async def reader(request: Request, pool: PoolDep) -> Principal:
    """The principal of this request's session (raises `SignInRequired` without a live one)."""
    token = request.cookies.get(COOKIE)
    if not token or len(token) > 100:
        raise SignInRequired
    async with pool.connection() as conn:
        found = await board_sessions.find(conn, _hash(token))
    if found is None:
        raise SignInRequired
    key_id, key, _expires = found
    limits: RateLimits = request.app.state.rate_limits
    limits.request(key_id)
    return Principal(key_id, key.role, key.org, key.service_point)  # type: ignore[arg-type]


BoardReader = Annotated[Principal, Depends(reader)]
