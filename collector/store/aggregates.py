"""Counts per face read from the rollups (raw rows only for sub-hour slivers), for any period and filters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from psycopg import AsyncConnection, sql
from psycopg.rows import TupleRow

from collector.insight.periods import Pieces
from collector.store.params import Params
from collector.store.reads import FaceCounts

_SUMS = sql.SQL("sum(positive)::bigint, sum(neutral)::bigint, sum(negative)::bigint, sum(misuse)::bigint")
_RAW_FACES = sql.SQL(
    "(face = 'positive' AND NOT misuse)::int AS positive, (face = 'neutral' AND NOT misuse)::int AS neutral,"
    " (face = 'negative' AND NOT misuse)::int AS negative, misuse::int AS misuse"
)
_ROLLUPS = (
    ("months", "rollup_monthly", "month"),
    ("days", "rollup_daily", "day"),
    ("hours", "rollup_hourly", "bucket"),
)


@dataclass(frozen=True)
class Filters:
    """Which ratings count: of these service points (None: of all), this service, this channel."""

    service_points: list[str] | None
    service: str | None = None
    channel: str | None = None


def _ranges(
    column: str, ranges: list[tuple[date, date]] | list[tuple[datetime, datetime]], params: Params, prefix: str
) -> sql.Composed:
    parts = [
        sql.SQL("({col} >= {a} AND {col} < {b})").format(
            col=sql.Identifier(column),
            a=params.add(f"{prefix}{column}_{i}_start", a),
            b=params.add(f"{prefix}{column}_{i}_end", b),
        )
        for i, (a, b) in enumerate(ranges)
    ]
    return sql.SQL("(") + sql.SQL(" OR ").join(parts) + sql.SQL(")")


def _common(filters: Filters, params: Params, prefix: str) -> sql.Composable:
    where: sql.Composable = sql.SQL("true")
    if filters.service_points is not None:
        where = sql.SQL("service_point_id = ANY({})").format(
            params.add(f"{prefix}service_points", filters.service_points)
        )
    if filters.service is not None:
        where += sql.SQL(" AND service_id = {}").format(params.add(f"{prefix}service", filters.service))
    if filters.channel is not None:
        where += sql.SQL(" AND channel = {}").format(params.add(f"{prefix}channel", filters.channel))
    return where


def union_of_pieces(
    pieces: Pieces, filters: Filters, params: Params, prefix: str = "", *, by_channel: bool = False
) -> sql.Composable:
    """`SELECT service_point_id, positive, neutral, negative, misuse` rows covering the pieces exactly; its
    parameters go into `params`, named with `prefix` (so one statement may hold several such unions).
    `by_channel`: a `channel` (text) column after `service_point_id`."""
    selects: list[sql.Composable] = []
    common = _common(filters, params, prefix)
    split = by_channel or filters.service is not None or filters.channel is not None
    key = sql.SQL("service_point_id, channel::text AS channel" if by_channel else "service_point_id")
    faces = sql.SQL("positive, neutral, negative, misuse")
    if pieces.years:
        # Whole local years: one row per service point and year; split by service or channel, the months.
        table, column = ("rollup_monthly", "month") if split else ("rollup_yearly_points", "year")
        selects.append(
            sql.SQL("SELECT {}, {} FROM {} WHERE {} AND {}").format(
                key, faces, sql.Identifier(table), common, _ranges(column, pieces.years, params, f"{prefix}y_")
            )
        )
    for attr, table, column in _ROLLUPS:
        ranges = getattr(pieces, attr)
        if not ranges:
            continue
        if table == "rollup_monthly" and not split:
            table = "rollup_monthly_points"  # the same sums, without the service and channel split
        selects.append(
            sql.SQL("SELECT {}, {} FROM {} WHERE {} AND {}").format(
                key, faces, sql.Identifier(table), common, _ranges(column, ranges, params, prefix)
            )
        )
    if pieces.raw:
        span = _ranges("pressed_at", pieces.raw, params, prefix)
        selects.append(sql.SQL("SELECT {}, {} FROM ratings WHERE {} AND {}").format(key, _RAW_FACES, common, span))
    if not selects:
        selects.append(  # an empty period (e.g. clipped to nothing for a reader): no rows, same columns
            sql.SQL("SELECT {}, 0 AS positive, 0 AS neutral, 0 AS negative, 0 AS misuse WHERE false").format(
                sql.SQL(
                    "NULL::text AS service_point_id, NULL::text AS channel"
                    if by_channel
                    else "NULL::text AS service_point_id"
                )
            )
        )
    return sql.SQL(" UNION ALL ").join(selects)


async def counts_by_point_and_channel(
    conn: AsyncConnection[TupleRow], pieces: Pieces, filters: Filters
) -> dict[tuple[str, str], FaceCounts]:
    """(service point, channel) -> counts, where there are any; whole hours from the rollups, the rest raw."""
    params = Params()
    union = union_of_pieces(pieces, filters, params, by_channel=True)
    query = sql.SQL("SELECT service_point_id, channel, {} FROM ({}) AS u GROUP BY 1, 2").format(_SUMS, union)
    cur = await conn.execute(query, params)
    return {(row[0], row[1]): FaceCounts(*(int(v) for v in row[2:])) for row in await cur.fetchall()}


async def total_counts(conn: AsyncConnection[TupleRow], pieces: Pieces, filters: Filters) -> FaceCounts:
    params = Params()
    union = union_of_pieces(pieces, filters, params)
    query = sql.SQL("SELECT {} FROM ({}) AS u").format(_SUMS, union)
    cur = await conn.execute(query, params)
    row = await cur.fetchone()
    assert row is not None
    return FaceCounts(*(int(v or 0) for v in row))


Grain = Literal["hour", "day", "week", "month"]


async def series(
    conn: AsyncConnection[TupleRow],
    filters: Filters,
    grain: Grain,
    first: date,
    last_exclusive: date,
    hour_range: tuple[datetime, datetime],
) -> list[tuple[datetime | date, FaceCounts]]:
    """Counts per bucket: UTC hours from `rollup_hourly`; local days, ISO weeks, months from `rollup_daily`."""
    params = Params()
    common = _common(filters, params, "")
    if grain == "hour":
        query = sql.SQL(
            "SELECT bucket, {} FROM rollup_hourly WHERE {} AND bucket >= %(start)s AND bucket < %(end)s"
            " GROUP BY 1 ORDER BY 1"
        ).format(_SUMS, common)
        params.update(start=hour_range[0], end=hour_range[1])
    else:
        bucket = {"day": "day", "week": "date_trunc('week', day)::date", "month": "date_trunc('month', day)::date"}
        query = sql.SQL(
            "SELECT {bucket}, {sums} FROM rollup_daily WHERE {common} AND day >= %(start)s AND day < %(end)s"
            " GROUP BY 1 ORDER BY 1"
        ).format(bucket=sql.SQL(bucket[grain]), sums=_SUMS, common=common)
        params.update(start=first, end=last_exclusive)
    cur = await conn.execute(query, params)
    return [(row[0], FaceCounts(*(int(v) for v in row[1:]))) for row in await cur.fetchall()]


async def hour_weekday(
    conn: AsyncConnection[TupleRow], filters: Filters, hour_range: tuple[datetime, datetime], timezone: str
) -> list[tuple[int, int, FaceCounts]]:
    """(ISO weekday 1-7, local hour 0-23, counts) from the hourly rollup, in the organisation's time zone."""
    params = Params(zone=timezone, start=hour_range[0], end=hour_range[1])
    query = sql.SQL(
        "SELECT extract(isodow FROM bucket AT TIME ZONE %(zone)s)::int,"
        " extract(hour FROM bucket AT TIME ZONE %(zone)s)::int, {}"
        " FROM rollup_hourly WHERE {} AND bucket >= %(start)s AND bucket < %(end)s GROUP BY 1, 2 ORDER BY 1, 2"
    ).format(_SUMS, _common(filters, params, ""))
    cur = await conn.execute(query, params)
    return [(row[0], row[1], FaceCounts(*(int(v) for v in row[2:]))) for row in await cur.fetchall()]


async def reasons(conn: AsyncConnection[TupleRow], pieces: Pieces, filters: Filters) -> dict[str, int]:
    """Reasons given after red faces (misuse excluded): whole days from `reason_daily`, the rest from raw rows."""
    selects: list[sql.Composable] = []
    params = Params()
    common = _common(filters, params, "")
    if pieces.days:
        span = _ranges("day", pieces.days, params, "")
        selects.append(sql.SQL("SELECT reason, n FROM reason_daily WHERE {} AND {}").format(common, span))
    if pieces.raw:
        span = _ranges("pressed_at", pieces.raw, params, "")
        selects.append(
            sql.SQL(
                "SELECT reason::text, 1 AS n FROM ratings WHERE {} AND {} AND face = 'negative' AND reason IS NOT NULL"
                " AND NOT misuse"
            ).format(common, span)
        )
    if not selects:
        return {}
    query = sql.SQL("SELECT reason, sum(n)::bigint FROM ({}) AS u GROUP BY reason HAVING sum(n) > 0").format(
        sql.SQL(" UNION ALL ").join(selects)
    )
    cur = await conn.execute(query, params)
    return {row[0]: int(row[1]) for row in await cur.fetchall()}
