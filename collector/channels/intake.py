"""Taking channel ratings in: the abuse limits on what is new, then one transaction that stores it.

The API route, the web page and the phone flow all end here, so a rating is counted the same whichever
way it came. A rating already stored (same event id) is neither counted against a limit nor stored again.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection

from collector.channels.abuse import Hit, Limits, misuse_flags
from collector.config import CollectorSettings
from collector.store import channel_ratings
from collector.store.channel_ratings import ChannelRow


def limits(settings: CollectorSettings) -> Limits:
    return Limits(
        settings.channel_limit_per_link,
        settings.channel_limit_per_client,
        timedelta(seconds=settings.channel_limit_window_s),
    )


@dataclass(frozen=True)
class Outcome:
    event_id: UUID
    stored: bool
    """False: stored before (a duplicate), nothing changed."""
    misuse: bool


async def take(
    conn: AsyncConnection[Any],
    org: str,
    source: str,
    rows: list[ChannelRow],
    hits: list[Hit],
    settings: CollectorSettings,
    now: datetime,
) -> list[Outcome]:
    """Store `rows` (with who each counts against, `hits`); what became of each, in order."""
    already = await channel_ratings.known(conn, [r.event_id for r in rows])
    first: dict[UUID, int] = {}
    for i, r in enumerate(rows):
        if r.event_id not in already:
            first.setdefault(r.event_id, i)
    order = sorted(first.values())
    flags = await misuse_flags(conn, limits(settings), [hits[i] for i in order], now)
    marked = {rows[i].event_id: flag for i, flag in zip(order, flags, strict=True)}
    to_store = [replace(rows[i], misuse=marked[rows[i].event_id]) for i in order]
    new = await channel_ratings.store(conn, org, source, to_store, now) if to_store else set()
    seen: set[UUID] = set()
    out = []
    for r in rows:
        stored = r.event_id in new and r.event_id not in seen
        seen.add(r.event_id)
        out.append(Outcome(r.event_id, stored, marked.get(r.event_id, False) and stored))
    return out
