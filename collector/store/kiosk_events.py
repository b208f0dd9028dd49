"""Kiosk events: what happened to a kiosk that someone should hear about, kept for the alerting to deliver.

Written in the transaction that notices the event (so an event exists iff its cause was stored); the
alerting reads the undelivered ones in order and marks what it has told someone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg import AsyncConnection
from psycopg.rows import TupleRow
from psycopg.types.json import Jsonb

from collector.store.arrays import array

IDENTITY_CONFLICT = "identity_conflict"
IDENTITY_CONFLICT_CLEARED = "identity_conflict_cleared"


@dataclass(frozen=True)
class KioskEvent:
    id: int
    kiosk_id: str
    org_id: str
    kind: str
    at: datetime
    detail: dict[str, Any]
    delivered_at: datetime | None


COLUMNS = "id, kiosk_id, org_id, kind, at, detail, delivered_at"


def record(conn: psycopg.Connection[TupleRow], events: Iterable[tuple[str, str, str, dict[str, Any]]]) -> None:
    """Insert events given as (kiosk id, organisation, kind, detail)."""
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO kiosk_events (kiosk_id, org_id, kind, detail) VALUES (%s, %s, %s, %s)",
            [(kiosk, org, kind, Jsonb(detail)) for kiosk, org, kind, detail in events],
        )


async def undelivered(conn: AsyncConnection[Any], after_id: int = 0, limit: int = 100) -> list[KioskEvent]:
    """Events not delivered yet, oldest first, from `after_id` on (to page through them)."""
    rows = await conn.execute(
        f"SELECT {COLUMNS} FROM kiosk_events WHERE delivered_at IS NULL AND id > %s ORDER BY id LIMIT %s",  # noqa: S608 - constant
        (after_id, limit),
    )
    return [KioskEvent(*row) for row in await rows.fetchall()]


async def of_kiosk(conn: AsyncConnection[Any], kiosk_id: str, limit: int = 100) -> list[KioskEvent]:
    """A kiosk's events, newest first."""
    rows = await conn.execute(
        f"SELECT {COLUMNS} FROM kiosk_events WHERE kiosk_id = %s ORDER BY id DESC LIMIT %s",  # noqa: S608 - constant
        (kiosk_id, limit),
    )
    return [KioskEvent(*row) for row in await rows.fetchall()]


async def mark_delivered(conn: AsyncConnection[Any], ids: Iterable[int]) -> int:
    """Mark events as delivered (once: a second call changes nothing); how many were marked now."""
    done = await conn.execute(
        "UPDATE kiosk_events SET delivered_at = now() WHERE id = ANY(%s::bigint[]) AND delivered_at IS NULL",
        (array(ids),),
    )
    return done.rowcount
