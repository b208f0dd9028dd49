"""Rollups maintained by deltas, in the transaction that changes the raw rows.

Every change to `ratings` in a batch writes signed rows into the temporary table
`rollup_delta`: +1 for a new rating, -1/+1 (old state, new state) for a rating whose
time or misuse flag moved. At the end of the batch one statement folds the deltas
into the rollups, in key order (so concurrent collectors never deadlock on
them). The same mechanism on plain PostgreSQL and TimescaleDB: the rollups are
ordinary tables, exact under duplicates, late data and corrections.
"""

from __future__ import annotations

import psycopg
from psycopg.rows import TupleRow

DELTA_TABLE = """
CREATE TEMP TABLE IF NOT EXISTS rollup_delta (
    org_id            text NOT NULL,
    service_point_id  text NOT NULL,
    service_id        text NOT NULL,
    channel           channel NOT NULL,
    face              face NOT NULL,
    reason            text,
    pressed_at        timestamptz NOT NULL,
    misuse            boolean NOT NULL,
    time_source       time_source NOT NULL,
    n                 integer NOT NULL
) ON COMMIT DELETE ROWS
"""

DELTA_COLUMNS = "org_id, service_point_id, service_id, channel, face, reason, pressed_at, misuse, time_source, n"


def delta_select(alias: str, sign: int, pressed_at: str = "pressed_at", misuse: str = "misuse") -> str:
    """SELECT list of one delta row from relation `alias`, with the time and flag given (old or new values)."""
    a = alias
    return (
        f"{a}.org_id, {a}.service_point_id, coalesce({a}.service_id, ''), {a}.channel, {a}.face, {a}.reason,"
        f" {pressed_at}, {misuse}, {a}.time_source, {sign}"
    )


_SUMS = """
    coalesce(sum(n) FILTER (WHERE face = 'positive' AND NOT misuse), 0),
    coalesce(sum(n) FILTER (WHERE face = 'neutral' AND NOT misuse), 0),
    coalesce(sum(n) FILTER (WHERE face = 'negative' AND NOT misuse), 0),
    coalesce(sum(n) FILTER (WHERE misuse), 0),
    coalesce(sum(n) FILTER (WHERE time_source = 'received' AND NOT misuse), 0)
"""
_NONZERO = """
HAVING coalesce(sum(n) FILTER (WHERE face = 'positive' AND NOT misuse), 0) <> 0
    OR coalesce(sum(n) FILTER (WHERE face = 'neutral' AND NOT misuse), 0) <> 0
    OR coalesce(sum(n) FILTER (WHERE face = 'negative' AND NOT misuse), 0) <> 0
    OR coalesce(sum(n) FILTER (WHERE misuse), 0) <> 0
    OR coalesce(sum(n) FILTER (WHERE time_source = 'received' AND NOT misuse), 0) <> 0
"""
_ADD = """
    positive = r.positive + EXCLUDED.positive, neutral = r.neutral + EXCLUDED.neutral,
    negative = r.negative + EXCLUDED.negative, misuse = r.misuse + EXCLUDED.misuse,
    provisional = r.provisional + EXCLUDED.provisional
"""
_COLUMNS = "service_point_id, service_id, channel, positive, neutral, negative, misuse, provisional"


def _face_rollup(table: str, key: str, key_expr: str) -> str:
    return f"""
    INSERT INTO {table} AS r ({key}, {_COLUMNS})
    SELECT {key_expr}, service_point_id, service_id, channel, {_SUMS}
    FROM d GROUP BY 1, 2, 3, 4 {_NONZERO} ORDER BY 2, 1, 3, 4
    ON CONFLICT (service_point_id, {key}, service_id, channel) DO UPDATE SET {_ADD}
    """  # noqa: S608 - fixed table names and expressions of this module


def _points_rollup(table: str, key: str, key_expr: str) -> str:
    """A rollup per service point over all its services and channels, like `rollup_monthly_points`."""
    return f"""
    INSERT INTO {table} AS r ({key}, service_point_id, positive, neutral, negative, misuse, provisional)
    SELECT {key_expr}, service_point_id, {_SUMS}
    FROM d GROUP BY 1, 2 {_NONZERO} ORDER BY 2, 1
    ON CONFLICT ({key}, service_point_id) DO UPDATE SET {_ADD}
    """  # noqa: S608 - fixed table names and expressions of this module


APPLY = f"""
WITH d AS (
    SELECT d.*, (d.pressed_at AT TIME ZONE o.timezone) AS local_time
    FROM rollup_delta d JOIN organisations o ON o.id = d.org_id
), hourly AS ({_face_rollup("rollup_hourly", "bucket", "date_trunc('hour', pressed_at, 'UTC')")}
), daily AS ({_face_rollup("rollup_daily", "day", "local_time::date")}
), monthly AS ({_face_rollup("rollup_monthly", "month", "date_trunc('month', local_time)::date")}
), monthly_points AS (
    INSERT INTO rollup_monthly_points AS r (month, service_point_id, positive, neutral, negative, misuse, provisional)
    SELECT date_trunc('month', local_time)::date, service_point_id, {_SUMS}
    FROM d GROUP BY 1, 2 {_NONZERO} ORDER BY 2, 1
    ON CONFLICT (month, service_point_id) DO UPDATE SET {_ADD}
), yearly_points AS ({_points_rollup("rollup_yearly_points", "year", "date_trunc('year', local_time)::date")}
), reasons AS (
    INSERT INTO reason_daily AS r (day, service_point_id, service_id, channel, reason, n)
    SELECT local_time::date, service_point_id, service_id, channel, reason, sum(n)
    FROM d WHERE face = 'negative' AND reason IS NOT NULL AND NOT misuse
    GROUP BY 1, 2, 3, 4, 5 HAVING sum(n) <> 0 ORDER BY 2, 1, 3, 4, 5
    ON CONFLICT (service_point_id, day, service_id, channel, reason) DO UPDATE SET n = r.n + EXCLUDED.n
)
SELECT 1
"""  # noqa: S608 - assembled from the constants above, no input


def _drop_empty(table: str, key: str, key_expr: str) -> str:
    return f"""
    DELETE FROM {table} r USING (
        SELECT DISTINCT {key_expr} AS k, service_point_id, service_id, channel FROM d
    ) t
    WHERE r.{key} = t.k AND r.service_point_id = t.service_point_id AND r.service_id = t.service_id
      AND r.channel = t.channel AND r.positive = 0 AND r.neutral = 0 AND r.negative = 0 AND r.misuse = 0
      AND r.provisional = 0
    """  # noqa: S608 - fixed table names and expressions of this module


def _drop_empty_points(table: str, key: str, key_expr: str) -> str:
    return f"""
    DELETE FROM {table} r USING (SELECT DISTINCT {key_expr} AS k, service_point_id FROM d) t
    WHERE r.{key} = t.k AND r.service_point_id = t.service_point_id
      AND r.positive = 0 AND r.neutral = 0 AND r.negative = 0 AND r.misuse = 0 AND r.provisional = 0
    """  # noqa: S608 - fixed table names and expressions of this module


DROP_EMPTY = f"""
WITH d AS (
    SELECT d.*, (d.pressed_at AT TIME ZONE o.timezone) AS local_time
    FROM rollup_delta d JOIN organisations o ON o.id = d.org_id WHERE d.n < 0
), hourly AS ({_drop_empty("rollup_hourly", "bucket", "date_trunc('hour', pressed_at, 'UTC')")}
), daily AS ({_drop_empty("rollup_daily", "day", "local_time::date")}
), monthly AS ({_drop_empty("rollup_monthly", "month", "date_trunc('month', local_time)::date")}
), monthly_points AS (
    DELETE FROM rollup_monthly_points r USING (
        SELECT DISTINCT date_trunc('month', local_time)::date AS k, service_point_id FROM d
    ) t
    WHERE r.month = t.k AND r.service_point_id = t.service_point_id
      AND r.positive = 0 AND r.neutral = 0 AND r.negative = 0 AND r.misuse = 0 AND r.provisional = 0
), yearly_points AS ({_drop_empty_points("rollup_yearly_points", "year", "date_trunc('year', local_time)::date")}
), reasons AS (
    DELETE FROM reason_daily r USING (
        SELECT DISTINCT local_time::date AS day, service_point_id, service_id, channel, reason FROM d
        WHERE reason IS NOT NULL
    ) t
    WHERE r.day = t.day AND r.service_point_id = t.service_point_id AND r.service_id = t.service_id
      AND r.channel = t.channel AND r.reason = t.reason AND r.n = 0
)
SELECT 1
"""  # noqa: S608 - assembled from the constants above, no input


def prepare(conn: psycopg.Connection[TupleRow]) -> None:
    conn.execute(DELTA_TABLE)


def apply(conn: psycopg.Connection[TupleRow], *, with_removals: bool) -> None:
    """Fold this transaction's deltas into the rollups; drop rows that moves left empty."""
    conn.execute(APPLY)
    if with_removals:
        conn.execute(DROP_EMPTY)
