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

from collector.store.params import Params

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
    "source",
)
"""`kiosk_id` and `seq` are empty for a channel rating (web, phone, API), whose `source` says who sent it
(`web:<link>`, `phone:<line>`, `key:<API key id>`); `source` is empty for a kiosk's rating."""
COUNT_COLUMNS = ("start", "end", "service_point", "service", "channel", "positive", "neutral", "negative", "misuse")

Grain = Literal["hour", "day"]


@dataclass(frozen=True)
class Query:
    select: sql.Composable
    key: list[str]
    """Columns of the sort key, unique per row: the cursor is a value of it."""
    source: sql.Composable
    params: Params
    """Named parameters of `select` and `source`."""

    @property
    def key_sql(self) -> sql.Composable:
        return sql.SQL(", ").join(sql.SQL(column) for column in self.key)


def raw_query(org: str, start: datetime, end: datetime, service_point: str | None) -> Query:
    params = Params(org=org, start=start, end=end, service_point=service_point)
    return Query(
        select=sql.SQL(
            "event_id::text, org_id::text, CASE WHEN source IS NULL THEN kiosk_id::text END,"
            " CASE WHEN source IS NULL THEN seq END, service_point_id::text, service_id::text,"
            " channel::text, face::text, reason::text, pressed_at, received_at, clock_synced, misuse, source"
        ),
        key=["pressed_at", "event_id"],
        source=sql.SQL(
            "ratings WHERE org_id = %(org)s AND pressed_at >= %(start)s AND pressed_at < %(end)s"
            + (" AND service_point_id = %(service_point)s" if service_point is not None else "")
        ),
        params=params,
    )


def counts_query(points: list[str], grain: Grain, start: Any, end: Any, timezone: str) -> Query:
    """Hourly rows (UTC hour buckets) or daily rows (local days) of the given service points, [start, end)."""
    tail = sql.SQL(", service_point_id::text, service_id, channel::text, positive, neutral, negative, misuse")
    if grain == "hour":
        bucket, table = "bucket", sql.SQL("rollup_hourly")
        select = sql.SQL("bucket, bucket + interval '1 hour'") + tail
    else:
        bucket, table = "day", sql.SQL("rollup_daily")
        select = sql.SQL("(day::timestamp AT TIME ZONE %(zone)s), ((day + 1)::timestamp AT TIME ZONE %(zone)s)") + tail
    return Query(
        select=select,
        key=[bucket, "service_point_id", "service_id", "channel"],
        source=sql.SQL(
            "{} WHERE service_point_id = ANY(%(points)s) AND {bucket} >= %(start)s AND {bucket} < %(end)s"
        ).format(table, bucket=sql.SQL(bucket)),
        params=Params(points=points, start=start, end=end, zone=timezone),
    )


def _bound(q: Query, op: str, value: list[Any] | None, params: Params, name: str) -> sql.Composable:
    if value is None:
        return sql.SQL("")
    marks = sql.SQL(", ").join(params.add(f"{name}_{i}", v) for i, v in enumerate(value))
    return sql.SQL(" AND ({}) {} ({})").format(q.key_sql, sql.SQL(op), marks)


async def next_key(conn: AsyncConnection[Any], q: Query, cursor: list[Any] | None, limit: int) -> list[Any] | None:
    """The key of the first row after this page, or None when this page is the last."""
    params = Params(q.params, page_size=limit)
    after = _bound(q, ">=", cursor, params, "after")
    query = sql.SQL("SELECT {} FROM {}{} ORDER BY {} OFFSET %(page_size)s LIMIT 1").format(
        q.key_sql, q.source, after, q.key_sql
    )
    cur = await conn.execute(query, params)
    row = await cur.fetchone()
    return list(row) if row else None


async def stream(
    conn: AsyncConnection[Any], q: Query, cursor: list[Any] | None, upto: list[Any] | None
) -> AsyncIterator[tuple[Any, ...]]:
    """Rows with cursor <= key < upto, in key order, from a server-side cursor."""
    params = Params(q.params)
    after, before = _bound(q, ">=", cursor, params, "after"), _bound(q, "<", upto, params, "before")
    query = sql.SQL("SELECT {} FROM {}{}{} ORDER BY {}").format(q.select, q.source, after, before, q.key_sql)
    async with conn.transaction(), conn.cursor(name="mlf_export") as cur:
        await cur.execute(query, params)
        while rows := await cur.fetchmany(2000):
            for row in rows:
                yield row
