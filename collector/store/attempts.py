"""Limited attempts: requests that may fail (an enrolment code tried, an API key or a board sign-in), counted
in PostgreSQL, so that every collector process, and the same one after a restart, sees one count
(collector/api/attempt_limits.py; the enrolment's and the authentications' limits).

An attempt is a row from the moment it begins: it counts while in flight, so attempts made at once, through
one process or several, cannot outrun a limit. It is deleted when it succeeds and marked when it fails. The
check and the new row are one transaction under an advisory lock: of the kind when it has an overall limit,
else of the kind and client (a kind is limited overall by all its callers or by none); of two attempts at
once, the second sees the first. Where a success must cost no write (a request with an API key), only
failures are written (`begin(..., failed=True)` after the fact) and `SPENT` is read with the key. Moving
windows, as the `limits` library counts them in memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from psycopg import AsyncConnection, Connection

from collector.store.registry import rows

Kind = Literal["enrolment", "authentication"]
IN_FLIGHT = timedelta(minutes=1)
"""An attempt still in flight after this long was cut short (its process died, say): it counts as failed."""
SOON = timedelta(seconds=1)
"""The wait when attempts in flight fill a limit: they end within moments, as failures or not."""


@dataclass(frozen=True)
class Limit:
    count: int
    window: timedelta


@dataclass(frozen=True)
class Spent:
    """A limit with no room: the client's own (`per_client`) or everyone's, and how long until it has room."""

    per_client: bool
    wait: timedelta


LOCK = "SELECT pg_advisory_xact_lock(hashtext('mlf-attempts:' || %(kind)s))"
LOCK_CLIENT = "SELECT pg_advisory_xact_lock(hashtext('mlf-attempts:' || %(kind)s), hashtext(encode(%(client)s, 'hex')))"
SPENT = """EXISTS (SELECT FROM limited_attempts
  WHERE kind = %(spent_kind)s AND client = %(spent_client)s AND at > now() - %(spent_window)s
  OFFSET greatest(%(spent_count)s - 1, 0))"""
"""Whether a client's attempts fill its limit (`begin` would refuse it), as a column of a query that reads
something else too: the API key a request names, in the one round trip it makes (collector/store/keys.py).
Its parameters: `spent_params`."""
COUNTS = """
SELECT count(*) FILTER (WHERE client = %(client)s AND at > now() - %(client_window)s) AS client_all,
       count(*) FILTER (WHERE client = %(client)s AND at > now() - %(client_window)s
                          AND (failed OR at <= now() - %(in_flight)s)) AS client_failed,
       count(*) FILTER (WHERE at > now() - %(overall_window)s) AS overall_all,
       count(*) FILTER (WHERE at > now() - %(overall_window)s
                          AND (failed OR at <= now() - %(in_flight)s)) AS overall_failed
FROM limited_attempts
WHERE kind = %(kind)s AND at > now() - greatest(%(client_window)s, %(overall_window)s)
"""
"""Attempts in each window: all of them, and those that failed (or never ended)."""
CLIENT_COUNTS = """
SELECT count(*) AS client_all, count(*) FILTER (WHERE failed OR at <= now() - %(in_flight)s) AS client_failed
FROM limited_attempts
WHERE kind = %(kind)s AND client = %(client)s AND at > now() - %(client_window)s
"""
"""The same for a kind with no overall limit: the client's own rows only (its index), however many others."""
ROOM_AT = """
SELECT at + %(window)s - now() AS wait
FROM limited_attempts
WHERE kind = %(kind)s AND (%(client)s::bytea IS NULL OR client = %(client)s) AND at > now() - %(window)s
  AND (failed OR at <= now() - %(in_flight)s)
ORDER BY at
OFFSET %(skip)s LIMIT 1
"""
"""How long until the failure that fills the limit leaves the window (the oldest, when exactly full)."""


async def begin(
    conn: AsyncConnection[Any],
    kind: Kind,
    client: bytes,
    per_client: Limit,
    overall: Limit | None = None,
    *,
    failed: bool = False,
) -> int | Spent:
    """A new attempt of `client` in flight (its id), or the limit that has no room for it (the client's
    first). With `failed`, an attempt that failed already: written as one (its id is of no more use).
    Commits at once when `conn` has no transaction open, so other processes count it."""
    params = {"kind": kind, "client": client, "failed": failed}
    async with conn.transaction():
        await conn.execute((LOCK if overall is not None else LOCK_CLIENT).encode(), params)
        full = await _spent(conn, kind, client, per_client, overall)
        if full is not None:
            return full
        made = await rows(
            conn,
            "INSERT INTO limited_attempts (kind, client, failed) VALUES (%(kind)s, %(client)s, %(failed)s)"
            " RETURNING id",
            params,
        )
    return int(made[0]["id"])


def spent_params(kind: Kind, client: bytes, per_client: Limit) -> dict[str, object]:
    """The parameters of `SPENT`."""
    return {
        "spent_kind": kind,
        "spent_client": client,
        "spent_window": per_client.window,
        "spent_count": per_client.count,
    }


async def spent(conn: AsyncConnection[Any], kind: Kind, client: bytes, per_client: Limit) -> Spent | None:
    """The client's limit with no room and how long until it has some, else None (reads only)."""
    return await _spent(conn, kind, client, per_client, None)


async def _spent(
    conn: AsyncConnection[Any], kind: Kind, client: bytes, per_client: Limit, overall: Limit | None
) -> Spent | None:
    params = {
        "kind": kind,
        "client": client,
        "client_window": per_client.window,
        "overall_window": (overall or per_client).window,
        "in_flight": IN_FLIGHT,
    }
    counts = (await rows(conn, COUNTS if overall is not None else CLIENT_COUNTS, params))[0]
    limits = (("client", per_client, client), ("overall", overall, None))
    for prefix, limit, who in limits:
        if limit is not None and counts[f"{prefix}_all"] >= limit.count:
            wait = await _room_at(conn, kind, who, limit, int(counts[f"{prefix}_failed"]))
            return Spent(per_client=who is not None, wait=wait)
    return None


async def _room_at(
    conn: AsyncConnection[Any], kind: Kind, client: bytes | None, limit: Limit, failed: int
) -> timedelta:
    if failed < limit.count:
        return SOON
    found = await rows(
        conn,
        ROOM_AT,
        {"kind": kind, "client": client, "window": limit.window, "in_flight": IN_FLIGHT, "skip": failed - limit.count},
    )
    return max(SOON, found[0]["wait"]) if found else SOON


async def failed(conn: AsyncConnection[Any], attempt: int) -> None:
    """The attempt failed: it counts for its windows. In `conn`'s transaction (commit it)."""
    await conn.execute(b"UPDATE limited_attempts SET failed = true WHERE id = %(id)s", {"id": attempt})


async def succeeded(conn: AsyncConnection[Any], attempt: int) -> None:
    """The attempt did not fail: it counts no more. In `conn`'s transaction (commit it)."""
    await conn.execute(b"DELETE FROM limited_attempts WHERE id = %(id)s", {"id": attempt})


def prune(conn: Connection[Any], kind: Kind, older_than: timedelta) -> int:
    """Delete the attempts of `kind` older than its longest window: they count for nothing any more, and
    nothing else is kept for long about who tried. Rows deleted."""
    deleted = conn.execute(
        b"DELETE FROM limited_attempts WHERE kind = %(kind)s AND at < now() - %(age)s",
        {"kind": kind, "age": older_than},
    ).rowcount
    return max(deleted, 0)
