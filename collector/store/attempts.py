"""Limited attempts: requests that may fail (an enrolment code tried), counted in PostgreSQL, so that every
collector process, and the same one after a restart, sees one count (collector/enrolment/limits.py).

An attempt is a row from the moment it begins: it counts while in flight, so attempts made at once, through
one process or several, cannot outrun a limit. It is deleted when it succeeds and marked when it fails. The
check and the new row are one transaction under an advisory lock of the kind: of two attempts at once, the
second sees the first. Moving windows, as the `limits` library counts them in memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from psycopg import AsyncConnection, Connection

from collector.store.registry import rows

Kind = Literal["enrolment"]
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
    conn: AsyncConnection[Any], kind: Kind, client: bytes, per_client: Limit, overall: Limit
) -> int | Spent:
    """A new attempt of `client` in flight (its id), or the limit that has no room for it (the client's
    first). Commits at once when `conn` has no transaction open, so other processes count it."""
    params = {
        "kind": kind,
        "client": client,
        "client_window": per_client.window,
        "overall_window": overall.window,
        "in_flight": IN_FLIGHT,
    }
    async with conn.transaction():
        await conn.execute(LOCK.encode(), params)
        counts = (await rows(conn, COUNTS, params))[0]
        for prefix, limit, who in (("client", per_client, client), ("overall", overall, None)):
            if counts[f"{prefix}_all"] >= limit.count:
                wait = await _room_at(conn, kind, who, limit, int(counts[f"{prefix}_failed"]))
                return Spent(per_client=who is not None, wait=wait)
        made = await rows(
            conn,
            "INSERT INTO limited_attempts (kind, client) VALUES (%(kind)s, %(client)s) RETURNING id",
            params,
        )
    return int(made[0]["id"])


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
