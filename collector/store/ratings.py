"""Raw ratings: COPY into staging, insert the new ones, place them in time.

A rating is new iff its event id enters `rating_keys` in this transaction (`ON CONFLICT
DO NOTHING`), whatever partitioning `ratings` has. Its `pressed_at` is the kiosk's clock
when that clock was synchronised; otherwise the start of its boot by our clock (the
anchor from a heartbeat) plus its uptime; with no anchor yet, provisionally our
receive time (`time_source = 'received'`), moved when the anchor arrives.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import psycopg
from psycopg.rows import TupleRow

from collector.ingest.messages import RatingIn
from collector.store.arrays import array
from collector.store.rollups import DELTA_COLUMNS, delta_select

STAGING = """
CREATE TEMP TABLE IF NOT EXISTS staging_ratings (
    event_id uuid, org_id text, kiosk_id text, seq bigint, service_point_id text, service_id text,
    channel channel, face face, reason text, reported_at timestamptz, received_at timestamptz,
    clock_synced boolean, boot_id uuid, uptime_ms bigint, instance uuid
) ON COMMIT DELETE ROWS
"""

STAGED = (
    "event_id, org_id, kiosk_id, seq, service_point_id, service_id, channel, face, reason,"
    " reported_at, received_at, clock_synced, boot_id, uptime_ms, instance"
)

# A press cannot happen after we received it: this bounds a bad anchor or a forged uptime.
_ANCHORED_TIME = "least(b.started_at + s.uptime_ms * interval '1 millisecond', s.received_at)"

INSERT_NEW = f"""
WITH fresh AS (
    INSERT INTO rating_keys (event_id, received_at)
    SELECT DISTINCT ON (event_id) event_id, received_at FROM staging_ratings ORDER BY event_id, received_at
    ON CONFLICT (event_id) DO NOTHING
    RETURNING event_id
), placed AS (
    SELECT DISTINCT ON (s.event_id) s.*,
        CASE WHEN s.clock_synced THEN s.reported_at
             WHEN b.started_at IS NOT NULL THEN {_ANCHORED_TIME}
             ELSE s.received_at END AS pressed_at,
        CASE WHEN s.clock_synced THEN 'kiosk'
             WHEN b.started_at IS NOT NULL THEN 'anchored'
             ELSE 'received' END::time_source AS time_source
    FROM staging_ratings s JOIN fresh USING (event_id)
    LEFT JOIN kiosk_boots b ON NOT s.clock_synced AND b.kiosk_id = s.kiosk_id AND b.boot_id = s.boot_id
    ORDER BY s.event_id, s.received_at
), new AS (
    INSERT INTO ratings ({STAGED}, pressed_at, time_source)
    SELECT {STAGED}, pressed_at, time_source FROM placed
    RETURNING *
), delta AS (
    INSERT INTO rollup_delta ({DELTA_COLUMNS}) SELECT {delta_select("new", 1)} FROM new
)
SELECT kiosk_id, instance, min(pressed_at), max(pressed_at), array_agg(seq),
    coalesce(array_agg(event_id) FILTER (WHERE time_source = 'received'), '{{}}'), count(*)
FROM new GROUP BY kiosk_id, instance
"""  # noqa: S608 - assembled from the constants above, no input

# Re-place the unsynchronised ratings of boots whose anchor was just set or improved.
REANCHOR = f"""
WITH target AS (
    SELECT r.*, least(b.started_at + r.uptime_ms * interval '1 millisecond', r.received_at) AS new_at
    FROM unnest(%(kiosks)s::text[], %(boots)s::uuid[]) AS a(kiosk_id, boot_id)
    JOIN kiosk_boots b ON b.kiosk_id = a.kiosk_id AND b.boot_id = a.boot_id
    JOIN ratings r ON r.kiosk_id = a.kiosk_id AND r.boot_id = a.boot_id AND NOT r.clock_synced
), moving AS (
    SELECT * FROM target WHERE pressed_at <> new_at OR time_source <> 'anchored'
), before AS (
    INSERT INTO rollup_delta ({DELTA_COLUMNS}) SELECT {delta_select("moving", -1)} FROM moving
), moved AS (
    UPDATE ratings r SET pressed_at = m.new_at, time_source = 'anchored'
    FROM moving m
    WHERE r.kiosk_id = m.kiosk_id AND r.boot_id = m.boot_id AND r.event_id = m.event_id AND NOT r.clock_synced
    RETURNING r.*
), after AS (
    INSERT INTO rollup_delta ({DELTA_COLUMNS}) SELECT {delta_select("moved", 1)} FROM moved
)
SELECT event_id, kiosk_id, pressed_at, new_at FROM moving
"""  # noqa: S608 - assembled from the constants above, no input


@dataclass(frozen=True, slots=True)
class Placed:
    """A rating that now sits at `at` (misuse windows around it must be recounted)."""

    kiosk_id: str
    at: datetime


def stage(conn: psycopg.Connection[TupleRow], ratings: list[RatingIn]) -> None:
    """COPY the batch into the staging table, each rating's line built when it was classified
    (`collector.store.staging_text`)."""
    conn.execute(STAGING)
    lines = "".join([item.staged for item in ratings])
    with conn.cursor() as cur, cur.copy(f"COPY staging_ratings ({STAGED}) FROM STDIN".encode()) as copy:
        copy.write(lines)


@dataclass(frozen=True, slots=True)
class Inserted:
    """What one kiosk instance's new ratings of the batch are, summed up (one row per instance, not per
    rating: at thousands of ratings a second, turning every row back into Python objects is what costs)."""

    kiosk_id: str
    instance: UUID | None
    first_at: datetime
    last_at: datetime
    seqs: list[int]
    provisional: list[UUID]
    """Those placed at our receive time for want of a clock anchor."""
    count: int


def insert_new(conn: psycopg.Connection[TupleRow]) -> list[Inserted]:
    """Insert the staged ratings not stored before."""
    return [Inserted(str(k), i, lo, hi, seqs, prov, int(n)) for k, i, lo, hi, seqs, prov, n in conn.execute(INSERT_NEW)]


@dataclass(frozen=True, slots=True)
class Moved:
    event_id: UUID
    before: Placed
    after: Placed


def reanchor(conn: psycopg.Connection[TupleRow], boots: list[tuple[str, str]]) -> list[Moved]:
    """Re-place the unsynchronised ratings of these boots by their current anchors; those that moved."""
    if not boots:
        return []
    rows = conn.execute(
        REANCHOR, {"kiosks": array(k for k, _ in boots), "boots": array(b for _, b in boots)}
    ).fetchall()
    return [Moved(event, Placed(kiosk, old), Placed(kiosk, new)) for event, kiosk, old, new in rows]
