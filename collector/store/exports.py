"""Exports, page by page in key order: raw ratings (exact times) and counts per bucket (reader-safe).

A page is [cursor, next key): one keys-only query finds where the next page starts, then the rows are
streamed from a server-side cursor, so a page of 100,000 rows never sits in memory at once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from psycopg import AsyncConnection, sql

RAW_COLUMNS = (
    "event_id",
    "organisation",
    "kiosk_id",
    "seq",
    "service_point",
    "service",
    "channel",
    "face",
    "reason",
    "pressed_at",
    "received_at",
    "clock_synced",
    "misuse",
)
COUNT_COLUMNS = ("start", "end", "service_point", "service", "channel", "positive", "neutral", "negative", "misuse")

Grain = Literal["hour", "day"]


@dataclass(frozen=True)
class Query:
    select: sql.Composable
    select_params: list[object]
    key: list[str]
    """Columns of the sort key, unique per row: the cursor is a value of it."""
    source: sql.Composable
    source_params: list[object]

    @property
    def key_sql(self) -> sql.Composable:
        return sql.SQL(", ").join(sql.SQL(column) for column in self.key)


def raw_query(org: str, start: datetime, end: datetime, service_point: str | None) -> Query:
    where: sql.Composable = sql.SQL("org_id = %s AND pressed_at >= %s AND pressed_at < %s")
    params: list[object] = [org, start, end]
    if service_point is not None:
        where += sql.SQL(" AND service_point_id = %s")
        params.append(service_point)
    return Query(
        select=sql.SQL(
            "event_id::text, org_id::text, kiosk_id::text, seq, service_point_id::text, service_id::text,"
            " channel::text, face::text, reason::text, pressed_at, received_at, clock_synced, misuse"
        ),
        select_params=[],
        key=["pressed_at", "event_id"],
        source=sql.SQL("ratings WHERE ") + where,
        source_params=params,
    )


def counts_query(points: list[str], grain: Grain, start: Any, end: Any, timezone: str) -> Query:
    """Hourly rows (UTC hour buckets) or daily rows (local days) of the given service points, [start, end)."""
    tail = sql.SQL(", service_point_id::text, service_id, channel::text, positive, neutral, negative, misuse")
    if grain == "hour":
        bucket, table = "bucket", sql.SQL("rollup_hourly")
        select = sql.SQL("bucket, bucket + interval '1 hour'") + tail
        select_params: list[object] = []
    else:
        bucket, table = "day", sql.SQL("rollup_daily")
        select = sql.SQL("(day::timestamp AT TIME ZONE %s), ((day + 1)::timestamp AT TIME ZONE %s)") + tail
        select_params = [timezone, timezone]
    return Query(
        select=select,
        select_params=select_params,
        key=[bucket, "service_point_id", "service_id", "channel"],
        source=sql.SQL("{} WHERE service_point_id = ANY(%s) AND {} >= %s AND {} < %s").format(
            table, sql.SQL(bucket), sql.SQL(bucket)
        ),
        source_params=[points, start, end],
    )


def _bound(q: Query, op: str, value: list[Any] | None) -> tuple[sql.Composable, list[object]]:
    if value is None:
        return sql.SQL(""), []
    marks = sql.SQL(", ").join(sql.Placeholder() * len(value))
    return sql.SQL(" AND ({}) {} ({})").format(q.key_sql, sql.SQL(op), marks), list(value)


async def next_key(conn: AsyncConnection[Any], q: Query, cursor: list[Any] | None, limit: int) -> list[Any] | None:
    """The key of the first row after this page, or None when this page is the last."""
    after, after_params = _bound(q, ">=", cursor)
    query = sql.SQL("SELECT {} FROM {}{} ORDER BY {} OFFSET %s LIMIT 1").format(q.key_sql, q.source, after, q.key_sql)
    cur = await conn.execute(query, [*q.source_params, *after_params, limit])
    row = await cur.fetchone()
    return list(row) if row else None


async def stream(
    conn: AsyncConnection[Any], q: Query, cursor: list[Any] | None, upto: list[Any] | None
) -> AsyncIterator[tuple[Any, ...]]:
    """Rows with cursor <= key < upto, in key order, from a server-side cursor."""
    after, after_params = _bound(q, ">=", cursor)
    before, before_params = _bound(q, "<", upto)
    query = sql.SQL("SELECT {} FROM {}{}{} ORDER BY {}").format(q.select, q.source, after, before, q.key_sql)
    async with conn.transaction(), conn.cursor(name="mlf_export") as cur:
        await cur.execute(query, [*q.select_params, *q.source_params, *after_params, *before_params])
        while rows := await cur.fetchmany(2000):
            for row in rows:
                yield row
