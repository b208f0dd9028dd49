"""The ingest path's writes: one transaction per batch, rollups updated with the raw rows.

Ratings go through COPY into a temporary staging table, then one statement inserts
the new ones (`ON CONFLICT (event_id) DO NOTHING`) and adds exactly those to the
rollups. A redelivered event is therefore counted nowhere twice, and what the API
reads from the rollups always agrees with the raw rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import psycopg
from psycopg import sql
from psycopg.rows import TupleRow

from collector.ingest import Batch, HeartbeatIn, RatingIn, Rejection, StatusIn

QUARANTINE_PAYLOAD_LIMIT = 4096
"""Bytes of a refused payload kept for inspection; its full size is recorded beside."""


@dataclass
class WriteResult:
    stored: int = 0
    duplicates: int = 0
    quarantined: dict[str, int] = field(default_factory=dict)
    watermarks: dict[str, tuple[str, int]] = field(default_factory=dict)
    """kiosk id -> (organisation, seq stored without gaps) for every kiosk that sent ratings."""


@dataclass
class Registry:
    """What the batch's ratings refer to, as the database knows it."""

    kiosks: dict[str, tuple[str, str | None]]  # id -> (org, service point)
    service_points: dict[str, str]  # id -> org
    services: set[tuple[str, str]]  # (org, id)
    organisations: set[str]


STAGING = """
CREATE TEMP TABLE IF NOT EXISTS staging_ratings
    (LIKE ratings INCLUDING DEFAULTS) ON COMMIT DELETE ROWS
"""

COPY_COLUMNS = (
    "event_id, org_id, kiosk_id, seq, service_point_id, service_id, channel, face, reason,"
    " pressed_at, reported_at, received_at, clock_synced, boot_id, uptime_ms"
)

_COUNTS = """
    count(*) FILTER (WHERE face = 'positive' AND NOT misuse),
    count(*) FILTER (WHERE face = 'neutral' AND NOT misuse),
    count(*) FILTER (WHERE face = 'negative' AND NOT misuse),
    count(*) FILTER (WHERE misuse)
"""
_ADD = """
    positive = r.positive + EXCLUDED.positive, neutral = r.neutral + EXCLUDED.neutral,
    negative = r.negative + EXCLUDED.negative, misuse = r.misuse + EXCLUDED.misuse
"""

INSERT_NEW = f"""
WITH new AS (
    INSERT INTO ratings ({COPY_COLUMNS})
    SELECT DISTINCT ON (event_id) {COPY_COLUMNS} FROM staging_ratings ORDER BY event_id
    ON CONFLICT (event_id) DO NOTHING
    RETURNING *
), local AS (
    SELECT new.*, (new.pressed_at AT TIME ZONE o.timezone) AS local_time
    FROM new JOIN organisations o ON o.id = new.org_id
), hourly AS (
    INSERT INTO rollup_hourly AS r
        (bucket, service_point_id, service_id, channel, positive, neutral, negative, misuse)
    SELECT date_trunc('hour', pressed_at, 'UTC'), service_point_id, coalesce(service_id, ''), channel, {_COUNTS}
    FROM new GROUP BY 1, 2, 3, 4 ORDER BY 2, 1, 3, 4
    ON CONFLICT (service_point_id, bucket, service_id, channel) DO UPDATE SET {_ADD}
), daily AS (
    INSERT INTO rollup_daily AS r
        (day, service_point_id, service_id, channel, positive, neutral, negative, misuse)
    SELECT local_time::date, service_point_id, coalesce(service_id, ''), channel, {_COUNTS}
    FROM local GROUP BY 1, 2, 3, 4 ORDER BY 2, 1, 3, 4
    ON CONFLICT (service_point_id, day, service_id, channel) DO UPDATE SET {_ADD}
), monthly AS (
    INSERT INTO rollup_monthly AS r
        (month, service_point_id, service_id, channel, positive, neutral, negative, misuse)
    SELECT date_trunc('month', local_time)::date, service_point_id, coalesce(service_id, ''), channel, {_COUNTS}
    FROM local GROUP BY 1, 2, 3, 4 ORDER BY 2, 1, 3, 4
    ON CONFLICT (service_point_id, month, service_id, channel) DO UPDATE SET {_ADD}
), reasons AS (
    INSERT INTO reason_daily AS r (day, service_point_id, service_id, channel, reason, n)
    SELECT local_time::date, service_point_id, coalesce(service_id, ''), channel, reason, count(*)
    FROM local WHERE face = 'negative' AND reason IS NOT NULL AND NOT misuse
    GROUP BY 1, 2, 3, 4, 5 ORDER BY 2, 1, 3, 4, 5
    ON CONFLICT (service_point_id, day, service_id, channel, reason) DO UPDATE SET n = r.n + EXCLUDED.n
)
SELECT count(*) FROM new
"""  # noqa: S608 - assembled from the constants above, no input

# The watermark moves up to the end of the run of consecutive sequence numbers
# that starts right above it (dense_rank: a repeated seq does not break the run).
ADVANCE_WATERMARKS = """
UPDATE kiosks k SET acked_seq = w.seq
FROM (
    SELECT k2.id, coalesce((
        SELECT max(t.seq) FROM (
            SELECT r.seq, dense_rank() OVER (ORDER BY r.seq) AS rank
            FROM ratings r WHERE r.kiosk_id = k2.id AND r.seq > k2.acked_seq
        ) t WHERE t.seq = k2.acked_seq + t.rank
    ), k2.acked_seq) AS seq
    FROM kiosks k2 WHERE k2.id = ANY(%(ids)s)
) w
WHERE k.id = w.id AND w.seq > k.acked_seq
"""


def write_batch(conn: psycopg.Connection[TupleRow], batch: Batch, *, auto_register: bool, timezone: str) -> WriteResult:
    """Store one batch in one transaction; the caller acks the messages after this returns."""
    result = WriteResult()
    rejections = list(batch.rejections)
    with conn.transaction():
        registry = _load_registry(conn, batch)
        ratings = _admit(batch.ratings, registry, rejections, auto_register)
        heartbeats = [h for h in batch.heartbeats if _admit_kiosk(h, registry, rejections, auto_register)]
        statuses = [s for s in batch.statuses if _admit_kiosk(s, registry, rejections, auto_register)]
        _register(conn, ratings, heartbeats, statuses, registry, timezone)
        result.stored = _insert_ratings(conn, ratings)
        result.duplicates = len(ratings) - result.stored
        _record_kiosk_state(conn, ratings, heartbeats, statuses)
        result.quarantined = _quarantine(conn, rejections)
        kiosk_ids = sorted({r.rating.kiosk_id for r in ratings})
        if kiosk_ids:
            conn.execute(ADVANCE_WATERMARKS, {"ids": kiosk_ids})
            rows = conn.execute("SELECT id, org_id, acked_seq FROM kiosks WHERE id = ANY(%s)", (kiosk_ids,))
            result.watermarks = {kiosk: (org, seq) for kiosk, org, seq in rows}
    return result


def _received(
    ratings: list[RatingIn], heartbeats: list[HeartbeatIn], statuses: list[StatusIn]
) -> list[RatingIn | HeartbeatIn | StatusIn]:
    return [*ratings, *heartbeats, *statuses]


def _load_registry(conn: psycopg.Connection[TupleRow], batch: Batch) -> Registry:
    kiosk_ids = sorted({item.kiosk_id for item in _received(batch.ratings, batch.heartbeats, batch.statuses)})
    sp_ids = sorted({r.rating.service_point for r in batch.ratings})
    orgs = sorted({r.org for r in batch.ratings} | {h.org for h in batch.heartbeats} | {s.org for s in batch.statuses})
    kiosks = {
        row[0]: (row[1], row[2])
        for row in conn.execute("SELECT id, org_id, service_point_id FROM kiosks WHERE id = ANY(%s)", (kiosk_ids,))
    }
    sps = {
        row[0]: row[1] for row in conn.execute("SELECT id, org_id FROM service_points WHERE id = ANY(%s)", (sp_ids,))
    }
    services = {
        (row[0], row[1]) for row in conn.execute("SELECT org_id, id FROM services WHERE org_id = ANY(%s)", (orgs,))
    }
    known_orgs = {row[0] for row in conn.execute("SELECT id FROM organisations WHERE id = ANY(%s)", (orgs,))}
    return Registry(kiosks, sps, services, known_orgs)


def _admit_kiosk(
    item: RatingIn | HeartbeatIn | StatusIn,
    registry: Registry,
    rejections: list[Rejection],
    auto_register: bool,
) -> bool:
    kiosk_id = item.kiosk_id
    known = registry.kiosks.get(kiosk_id)
    if known is None:
        if not auto_register:
            rejections.append(Rejection(item.inbound, "unknown_kiosk", f"kiosk {kiosk_id!r} is not registered"))
            return False
        registry.kiosks[kiosk_id] = (item.org, None)
        return True
    if known[0] != item.org:
        rejections.append(
            Rejection(item.inbound, "org_mismatch", f"kiosk {kiosk_id!r} belongs to {known[0]!r}, not {item.org!r}")
        )
        return False
    return True


def _admit(
    ratings: list[RatingIn], registry: Registry, rejections: list[Rejection], auto_register: bool
) -> list[RatingIn]:
    admitted = []
    for item in ratings:
        rating = item.rating
        if not _admit_kiosk(item, registry, rejections, auto_register):
            continue
        owner = registry.service_points.get(rating.service_point)
        if owner is None and not auto_register:
            rejections.append(
                Rejection(
                    item.inbound,
                    "unknown_service_point",
                    f"service point {rating.service_point!r} is not registered",
                )
            )
            continue
        if owner is not None and owner != item.org:
            rejections.append(
                Rejection(
                    item.inbound,
                    "foreign_service_point",
                    f"service point {rating.service_point!r} belongs to {owner!r}",
                )
            )
            continue
        registry.service_points[rating.service_point] = item.org
        if rating.service and (item.org, rating.service) not in registry.services:
            if not auto_register:
                rejections.append(
                    Rejection(
                        item.inbound,
                        "unknown_service",
                        f"service {rating.service!r} is not registered for {item.org!r}",
                    )
                )
                continue
            registry.services.add((item.org, rating.service))
        admitted.append(item)
    return admitted


def _register(
    conn: psycopg.Connection[TupleRow],
    ratings: list[RatingIn],
    heartbeats: list[HeartbeatIn],
    statuses: list[StatusIn],
    registry: Registry,
    timezone: str,
) -> None:
    """Create what the admitted messages refer to and the database does not know yet (auto-registration)."""
    orgs = sorted({r.org for r in ratings} | {h.org for h in heartbeats} | {s.org for s in statuses})
    new_orgs = [(org, org, timezone) for org in orgs if org not in registry.organisations]
    _insert_missing(conn, "organisations", ("id", "name", "timezone"), new_orgs)
    sps = sorted({(r.rating.service_point, r.org, r.rating.channel.value) for r in ratings})
    _insert_missing(
        conn, "service_points", ("id", "org_id", "name", "channel"), [(sp, org, sp, ch) for sp, org, ch in sps]
    )
    services = sorted({(r.org, r.rating.service) for r in ratings if r.rating.service})
    _insert_missing(conn, "services", ("org_id", "id", "name"), [(org, s, s) for org, s in services])
    first_sp: dict[str, str] = {}
    for r in ratings:
        first_sp.setdefault(r.rating.kiosk_id, r.rating.service_point)
    kiosks = sorted({(item.kiosk_id, item.org) for item in _received(ratings, heartbeats, statuses)})
    _insert_missing(
        conn, "kiosks", ("id", "org_id", "service_point_id"), [(k, org, first_sp.get(k)) for k, org in kiosks]
    )


def _insert_missing(
    conn: psycopg.Connection[TupleRow], table: str, columns: tuple[str, ...], rows: Iterable[tuple[object, ...]]
) -> None:
    rows = list(rows)
    if not rows:
        return
    query = sql.SQL("INSERT INTO {} ({}) VALUES ({}) ON CONFLICT DO NOTHING").format(
        sql.Identifier(table),
        sql.SQL(", ").join(map(sql.Identifier, columns)),
        sql.SQL(", ").join(sql.Placeholder() * len(columns)),
    )
    with conn.cursor() as cur:
        cur.executemany(query, rows)


def _insert_ratings(conn: psycopg.Connection[TupleRow], ratings: list[RatingIn]) -> int:
    if not ratings:
        return 0
    conn.execute(STAGING)
    with conn.cursor() as cur:
        with cur.copy(f"COPY staging_ratings ({COPY_COLUMNS}) FROM STDIN".encode()) as copy:
            for item in ratings:
                r = item.rating
                copy.write_row(
                    (
                        r.event_id,
                        item.org,
                        r.kiosk_id,
                        r.seq,
                        r.service_point,
                        r.service,
                        r.channel.value,
                        r.face.value,
                        r.reason,
                        r.pressed_at,
                        r.pressed_at,
                        item.inbound.received_at,
                        r.clock.synced,
                        r.clock.boot_id,
                        r.clock.uptime_ms,
                    )
                )
        row = cur.execute(INSERT_NEW).fetchone()
    assert row is not None
    return int(row[0])


def _record_kiosk_state(
    conn: psycopg.Connection[TupleRow],
    ratings: list[RatingIn],
    heartbeats: list[HeartbeatIn],
    statuses: list[StatusIn],
) -> None:
    seen: dict[str, datetime] = {}
    for item in _received(ratings, heartbeats, statuses):
        at = item.inbound.received_at
        seen[item.kiosk_id] = max(at, seen.get(item.kiosk_id, at))
    with conn.cursor() as cur:
        cur.executemany(
            "UPDATE kiosks SET last_seen_at = greatest(last_seen_at, %s) WHERE id = %s",
            [(at, kiosk) for kiosk, at in sorted(seen.items())],
        )
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
                for h in heartbeats
            ],
        )
        cur.executemany(
            "UPDATE kiosks SET online = %s, status_at = %s WHERE id = %s",
            [(s.status.state == "online", s.inbound.received_at, s.kiosk_id) for s in statuses],
        )


def _quarantine(conn: psycopg.Connection[TupleRow], rejections: list[Rejection]) -> dict[str, int]:
    counts: dict[str, int] = {}
    if not rejections:
        return counts
    with (
        conn.cursor() as cur,
        cur.copy("COPY quarantine (received_at, topic, payload, payload_size, reason, detail) FROM STDIN") as copy,
    ):
        for rej in rejections:
            copy.write_row(
                (
                    rej.inbound.received_at,
                    rej.inbound.topic[:1000].replace("\x00", "?"),
                    rej.inbound.payload[:QUARANTINE_PAYLOAD_LIMIT],
                    len(rej.inbound.payload),
                    rej.reason,
                    rej.detail[:2000].replace("\x00", "?"),
                )
            )
            counts[rej.reason] = counts.get(rej.reason, 0) + 1
    return counts
