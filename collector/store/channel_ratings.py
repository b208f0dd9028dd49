"""Channel ratings at rest: ratings no kiosk took (web page, phone, an integrator's API calls).

They go into the very tables kiosk ratings go into, in one transaction with their rollup deltas, so every
figure counts them alike: a rating is new iff its event id enters `rating_keys` (the idempotency of every
path), and its counts land in the same rollups through `collector.store.rollups`. What differs is only
what a kiosk has and a channel has not: no sequence (seq 0), no boot or clock to correct (the time is the
one the source stated, or our receipt: final either way), and a `source` naming who sent it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection

from collector.store.arrays import array
from collector.store.registry import DEFAULT_REASONS
from collector.store.rollups import APPLY, DELTA_COLUMNS, DELTA_TABLE, delta_select

NIL_BOOT = "00000000-0000-0000-0000-000000000000"


@dataclass(frozen=True, slots=True)
class ChannelRow:
    """One validated channel rating, ready to store."""

    event_id: UUID
    service_point: str
    service: str | None
    channel: str
    face: str
    reason: str | None
    judged_at: datetime
    stated: bool
    """True when the source stated the time of the judgment; False: our receipt."""
    misuse: bool


INSERT = f"""
WITH input AS (
    SELECT DISTINCT ON (event_id) * FROM unnest(
        %(events)s::uuid[], %(sps)s::text[], %(services)s::text[], %(channels)s::channel[], %(faces)s::face[],
        %(reasons)s::text[], %(at)s::timestamptz[], %(stated)s::boolean[], %(misuse)s::boolean[]
    ) AS i(event_id, service_point_id, service_id, channel, face, reason, judged_at, stated, misuse)
    ORDER BY event_id
), fresh AS (
    INSERT INTO rating_keys (event_id, received_at) SELECT event_id, %(received)s FROM input
    ON CONFLICT (event_id) DO NOTHING
    RETURNING event_id
), new AS (
    INSERT INTO ratings (event_id, org_id, kiosk_id, seq, service_point_id, service_id, channel, face, reason,
        pressed_at, reported_at, received_at, clock_synced, boot_id, uptime_ms, misuse, time_source, source)
    SELECT i.event_id, %(org)s, i.channel::text, 0, i.service_point_id, i.service_id, i.channel, i.face, i.reason,
        i.judged_at, i.judged_at, %(received)s, true, '{NIL_BOOT}', 0, i.misuse,
        (CASE WHEN i.stated THEN 'stated' ELSE 'submitted' END)::time_source, %(source)s
    FROM input i JOIN fresh USING (event_id)
    RETURNING *
), delta AS (
    INSERT INTO rollup_delta ({DELTA_COLUMNS}) SELECT {delta_select("new", 1)} FROM new
)
SELECT event_id FROM new
"""  # noqa: S608 - assembled from constants, no input

ADD_REASON = f"""
WITH target AS (
    SELECT * FROM ratings
    WHERE pressed_at >= %(since)s AND event_id = %(event)s AND org_id = %(org)s
      AND source IS NOT NULL AND face = 'negative' AND reason IS NULL
), before AS (
    INSERT INTO rollup_delta ({DELTA_COLUMNS}) SELECT {delta_select("target", -1)} FROM target
), changed AS (
    UPDATE ratings r SET reason = %(reason)s FROM target t
    WHERE r.pressed_at = t.pressed_at AND r.event_id = t.event_id
    RETURNING r.*
), after AS (
    INSERT INTO rollup_delta ({DELTA_COLUMNS}) SELECT {delta_select("changed", 1)} FROM changed
)
SELECT count(*) FROM changed
"""  # noqa: S608 - assembled from constants, no input
"""The reason a citizen gives after the red face already stored (the web page stores red at once, so a
citizen who leaves on the reasons step is still counted): the face's counts cancel out, the reason's add."""


async def store(
    conn: AsyncConnection[Any], org: str, source: str, rows: list[ChannelRow], received_at: datetime
) -> set[UUID]:
    """Store `rows` (all or none); the event ids that were new (the others were stored before)."""
    async with conn.transaction():
        await conn.execute(DELTA_TABLE)
        cur = await conn.execute(
            INSERT,
            {
                "org": org,
                "source": source,
                "received": received_at,
                "events": array(r.event_id for r in rows),
                "sps": array(r.service_point for r in rows),
                "services": array(r.service for r in rows),
                "channels": array(r.channel for r in rows),
                "faces": array(r.face for r in rows),
                "reasons": array(r.reason for r in rows),
                "at": array(r.judged_at for r in rows),
                "stated": array(r.stated for r in rows),
                "misuse": array(r.misuse for r in rows),
            },
        )
        new = {row[0] for row in await cur.fetchall()}
        if new:
            await conn.execute(APPLY)
    return new


async def add_reason(conn: AsyncConnection[Any], org: str, event_id: UUID, reason: str, since: datetime) -> bool:
    """Give the red channel rating `event_id` (judged after `since`) its reason, once; False if there is
    no such rating without a reason."""
    async with conn.transaction():
        await conn.execute(DELTA_TABLE)
        cur = await conn.execute(ADD_REASON, {"org": org, "event": event_id, "reason": reason, "since": since})
        row = await cur.fetchone()
        changed = bool(row and row[0])
        if changed:
            await conn.execute(APPLY)
    return changed


async def known(conn: AsyncConnection[Any], event_ids: list[UUID]) -> set[UUID]:
    """Which of these event ids are stored already (by any path)."""
    cur = await conn.execute("SELECT event_id FROM rating_keys WHERE event_id = ANY(%s::uuid[])", (array(event_ids),))
    return {row[0] for row in await cur.fetchall()}


@dataclass(frozen=True)
class OrgRegistry:
    """What a channel rating of one organisation may name."""

    service_points: set[str]
    services: set[str]
    reasons: set[str]
    """Active reason codes (the built-in defaults when the organisation has none)."""


async def org_registry(conn: AsyncConnection[Any], org: str, service_points: list[str]) -> OrgRegistry:
    cur = await conn.execute(
        "SELECT id FROM service_points WHERE org_id = %s AND id = ANY(%s::text[])", (org, array(service_points))
    )
    sps = {row[0] for row in await cur.fetchall()}
    cur = await conn.execute("SELECT id FROM services WHERE org_id = %s", (org,))
    services = {row[0] for row in await cur.fetchall()}
    cur = await conn.execute("SELECT code FROM reasons WHERE org_id = %s AND active", (org,))
    reasons = {row[0] for row in await cur.fetchall()} or {code for code, _, _ in DEFAULT_REASONS}
    return OrgRegistry(sps, services, reasons)
