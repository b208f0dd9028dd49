"""What we know about each kiosk: last seen, last heartbeat, availability, clock anchors."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import psycopg
from psycopg.rows import TupleRow

from collector.ingest.messages import MAX_AGE, HeartbeatIn, RatingIn, StatusIn
from collector.store.arrays import array, instants, timestamptz_array

ANCHOR_TOLERANCE = timedelta(seconds=2)
"""A boot's anchor moves only for an estimate earlier by more than this (bounded churn, jitter ignored)."""

UPSERT_ANCHORS = """
INSERT INTO kiosk_boots AS b (kiosk_id, boot_id, started_at)
SELECT kiosk_id, boot_id, min(started_at)
FROM unnest(%(kiosks)s::text[], %(boots)s::uuid[], %(starts)s::timestamptz[]) AS h(kiosk_id, boot_id, started_at)
GROUP BY 1, 2 ORDER BY 1, 2
ON CONFLICT (kiosk_id, boot_id) DO UPDATE SET started_at = EXCLUDED.started_at, anchored_at = now()
WHERE EXCLUDED.started_at < b.started_at - %(tolerance)s
RETURNING kiosk_id, boot_id::text
"""


SEEN = f"""
UPDATE kiosks k SET last_seen_at = greatest(k.last_seen_at, s.at)
FROM unnest(%s::text[], {timestamptz_array("%s")}) AS s(id, at) WHERE k.id = s.id
"""  # noqa: S608 - assembled from a constant expression, no input


def anchor_boots(conn: psycopg.Connection[TupleRow], heartbeats: Sequence[HeartbeatIn]) -> list[tuple[str, str]]:
    """Record when each heartbeat's boot started by our clock; (kiosk, boot) whose anchor is new or earlier."""
    usable = [h for h in heartbeats if timedelta(milliseconds=h.heartbeat.clock.uptime_ms) < MAX_AGE]
    if not usable:
        return []
    rows = conn.execute(
        UPSERT_ANCHORS,
        {
            "kiosks": [h.kiosk_id for h in usable],
            "boots": [h.heartbeat.clock.boot_id for h in usable],
            "starts": [h.inbound.received_at - timedelta(milliseconds=h.heartbeat.clock.uptime_ms) for h in usable],
            "tolerance": ANCHOR_TOLERANCE,
        },
    ).fetchall()
    return [(str(k), str(b)) for k, b in rows]


def record(
    conn: psycopg.Connection[TupleRow],
    ratings: Sequence[RatingIn],
    heartbeats: Sequence[HeartbeatIn],
    statuses: Sequence[StatusIn],
) -> None:
    """Last seen and last heartbeat, in one UPDATE per kiosk row (plus one for a kiosk that sent a heartbeat).
    (Sequence counters are kept per instance, by `sequences.advance`.)"""
    seen: dict[str, datetime] = {}
    received: list[RatingIn | HeartbeatIn | StatusIn] = [*ratings, *heartbeats, *statuses]
    for item in received:
        at = item.inbound.received_at
        seen[item.kiosk_id] = max(at, seen.get(item.kiosk_id, at))
    latest: dict[str, HeartbeatIn] = {}
    for h in heartbeats:
        if h.kiosk_id not in latest or latest[h.kiosk_id].inbound.received_at <= h.inbound.received_at:
            latest[h.kiosk_id] = h
    with conn.cursor() as cur:
        ids = sorted(seen)
        cur.execute(SEEN, (array(ids), instants(seen[k] for k in ids)))
        cur.executemany(
            "UPDATE kiosks SET last_heartbeat = %s::jsonb, last_heartbeat_at = %s, clock_skew_ms = %s"
            " WHERE id = %s AND (last_heartbeat_at IS NULL OR last_heartbeat_at <= %s)",
            [
                (
                    h.heartbeat.model_dump_json(),
                    h.inbound.received_at,
                    round((h.heartbeat.sent_at - h.inbound.received_at).total_seconds() * 1000),
                    h.kiosk_id,
                    h.inbound.received_at,
                )
                for h in latest.values()
            ],
        )
        cur.executemany(
            "UPDATE kiosks SET online = %s, status_at = %s WHERE id = %s AND (status_at IS NULL OR status_at <= %s)",
            [(s.status.state == "online", s.inbound.received_at, s.kiosk_id, s.inbound.received_at) for s in statuses],
        )
