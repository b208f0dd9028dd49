"""The overview: every service point's counts over a period, judged by the flag rule, worst first.

One statement does it where the data is: counts from the rollups (see `collector.insight.periods.split`), the
target of each service point (`collector.store.targets`), the flag (`collector.insight.flags`), the order and
the page. Each service point is judged over the requested period or, without one, over its own
target's evaluation window (the last N local days, today included).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from psycopg import AsyncConnection, sql
from psycopg.rows import dict_row

from collector.insight import flags
from collector.insight.periods import Pieces, midnight, split
from collector.store import aggregates, targets
from collector.store.params import Params
from collector.store.reads import FaceCounts

Clip = Callable[[datetime, datetime, ZoneInfo], tuple[datetime, datetime]]
Period = tuple[date, date] | tuple[datetime, datetime]


@dataclass(frozen=True)
class Scope:
    org: str | None = None
    site: str | None = None
    service: str | None = None
    channel: str | None = None


@dataclass(frozen=True, slots=True)
class PointRow:
    id: str
    org: str
    org_name: str
    name: str
    site: str | None
    site_name: str | None
    region: str | None
    start: datetime
    end: datetime
    counts: FaceCounts
    assessment: flags.Assessment
    target: targets.Target


@dataclass(frozen=True, slots=True)
class Overview:
    total_rows: int
    rows: list[PointRow]


def _points(scope: Scope, params: Params) -> sql.Composable:
    """Service points in scope with their time zone and resolved target (`t_*` columns)."""
    return sql.SQL(
        "SELECT sp.id, sp.org_id, o.timezone, t.* FROM service_points sp"
        " JOIN organisations o ON o.id = sp.org_id{target}"
        " WHERE ({org}::text IS NULL OR sp.org_id = {org}) AND ({site}::text IS NULL OR sp.site_id = {site})"
    ).format(
        target=targets.applying_columns(sql.SQL("sp.org_id"), sql.SQL("sp.id"), params.add("service", scope.service)),
        org=params.add("org", scope.org),
        site=params.add("site", scope.site),
    )


def bounds(period: Period | None, window_days: int, zone: ZoneInfo, now: datetime) -> tuple[datetime, datetime]:
    if period is None:
        today = now.astimezone(zone).date()
        return midnight(today - timedelta(days=window_days - 1), zone), now
    start, end = period
    if isinstance(start, datetime) and isinstance(end, datetime):
        return start, end
    assert isinstance(start, date)
    assert isinstance(end, date)
    return midnight(start, zone), midnight(end, zone)


@dataclass(frozen=True)
class _Group:
    timezone: str
    window_days: int
    """0 when the period is explicit (the same for every window)."""
    start: datetime
    end: datetime
    members: int
    ids: list[str] | None
    """The members' ids when they are under half the installation (their counts are then read by id), else None."""


async def _groups(
    conn: AsyncConnection[Any], scope: Scope, period: Period | None, now: datetime, clip: Clip | None
) -> list[_Group]:
    params = Params()
    window = sql.SQL("0") if period is not None else sql.SQL("t_window_days")
    cur = await conn.execute(
        sql.SQL(
            "SELECT timezone, {w}, count(*),"
            " CASE WHEN 2 * count(*) < (SELECT count(*) FROM service_points) THEN array_agg(id ORDER BY id) END"
            " FROM ({p}) AS p GROUP BY 1, 2 ORDER BY 1, 2"
        ).format(w=window, p=_points(scope, params)),
        params,
        prepare=False,
    )
    out = []
    for timezone, window_days, members, ids in await cur.fetchall():
        zone = ZoneInfo(timezone)
        start, end = bounds(period, window_days, zone, now)
        if clip is not None:
            start, end = clip(start, end, zone)
        out.append(_Group(timezone, window_days, start, end, members, ids))
    return out


_MEMBER = ("org_id", "timezone", *(f"t_{f}" for f in (*targets.FIELDS, "source")), "period_start", "period_end")
"""What a member row brings to its tally beside (grp, id): the count rows have NULL there."""
_FACES = ("positive", "neutral", "negative", "misuse")
_SUMS = sql.SQL(", ").join(sql.SQL("sum({c})::bigint AS {c}").format(c=sql.Identifier(c)) for c in _FACES)


def _tally_rows(i: int, group: _Group, scope: Scope, params: Params, from_raw_rows: bool) -> sql.Composable:
    """The counts of one group, a row per service point in the member rows' columns: whole hours from the
    rollups, the rest raw (summed apart first: the tally then only meets a row or two per service point).

    A group of under half the installation reads its members' rows by id (an array constant: an index scan,
    or a hashed filter); a larger one reads every service point's rows (cheaper than filtering row by row)
    and the tally drops those of other groups."""
    pieces = (
        Pieces(raw=[(group.start, group.end)])
        if from_raw_rows
        else split(group.start, group.end, ZoneInfo(group.timezone))
    )
    filters = aggregates.Filters(group.ids, scope.service, scope.channel)
    union = aggregates.union_of_pieces(pieces, filters, params, prefix=f"g{i}_")
    return sql.SQL(
        "SELECT {i}::int, service_point_id, {nulls}, {sums} FROM ({union}) AS u GROUP BY service_point_id"
    ).format(
        i=sql.Literal(i),
        nulls=sql.SQL(", ").join(sql.SQL("NULL") for _ in _MEMBER),
        sums=_SUMS,
        union=union,
    )


def _statement(
    groups: list[_Group],
    scope: Scope,
    *,
    limit: int | None = None,
    offset: int = 0,
    from_raw_rows: bool = False,
) -> tuple[sql.Composed, Params]:
    """The overview's statement: one row per service point in scope (a page of them), worst first.

    Service points meet their counts in one aggregate (member rows and count rows, grouped by group and
    service point), never in a join: right after a large load (a first day, a restore, a backfill) the
    planner's statistics still describe small tables, and a join of points to counts was then planned as
    a nested loop re-reading every count for every service point (bench/overview_stale.py)."""
    params = Params(limit=limit, offset=offset)
    values, tallies = [], []
    for i, g in enumerate(groups):
        values.append(
            sql.SQL("({i}::int, {zone}::text, {window}::int, {start}::timestamptz, {end}::timestamptz)").format(
                i=sql.Literal(i),
                zone=params.add(f"g{i}_timezone", g.timezone),
                window=params.add(f"g{i}_window_days", g.window_days),
                start=params.add(f"g{i}_start", g.start),
                end=params.add(f"g{i}_end", g.end),
            )
        )
        tallies.append(_tally_rows(i, g, scope, params, from_raw_rows))
    sparse, total = sql.SQL(""), sql.SQL("")
    if scope.service or scope.channel:  # a filtered view lists only service points that have such ratings
        sparse = sql.SQL(" WHERE positive + neutral + negative + misuse > 0")
        total = sql.SQL(", count(*) OVER () AS total_rows")
    face = ("positive", "neutral", "negative")
    member = sql.SQL(", ").join(sql.Identifier("g" if c.startswith("period_") else "pts", c) for c in _MEMBER)
    query = sql.SQL(
        "WITH g (grp, timezone, window_days, period_start, period_end) AS (VALUES {values}),"
        " members AS (SELECT g.grp, pts.id, {member}, 0 AS positive, 0 AS neutral, 0 AS negative, 0 AS misuse"
        "  FROM ({points}) AS pts"
        "  JOIN g ON g.timezone = pts.timezone AND (g.window_days = 0 OR g.window_days = pts.t_window_days)),"
        " judged AS (SELECT grp, id, {kept}, {sums} FROM (SELECT * FROM members UNION ALL {tallies}) AS tally"
        "  GROUP BY grp, id HAVING count(org_id) > 0),"
        " bounded AS (SELECT judged.*, {bounds} FROM judged{sparse}),"
        " ranked AS (SELECT bounded.*, {severity}{total} FROM bounded)"
        " SELECT shown.*, {verdict}, {intervals}, sp.name, sp.site_id, s.region, s.name AS site_name,"
        " o.name AS org_name"
        " FROM (SELECT * FROM ranked ORDER BY {worst}, id LIMIT %(limit)s OFFSET %(offset)s) AS shown"
        " JOIN service_points sp ON sp.id = shown.id LEFT JOIN sites s ON s.id = sp.site_id"
        " JOIN organisations o ON o.id = sp.org_id"
        " ORDER BY {worst}, shown.id"
    ).format(
        values=sql.SQL(", ").join(values),
        member=member,
        points=_points(scope, params),
        kept=sql.SQL(", ").join(sql.SQL("max({c}) AS {c}").format(c=sql.Identifier(c)) for c in _MEMBER),
        sums=_SUMS,
        tallies=sql.SQL(" UNION ALL ").join(tallies),
        bounds=flags.bound_columns(*face),
        sparse=sparse,
        severity=flags.severity_column(*face, "t"),
        total=total,
        verdict=flags.verdict_columns(*face, "t"),
        intervals=flags.interval_columns(*face),
        worst=flags.WORST_FIRST,
    )
    return query, params


async def statement(
    conn: AsyncConnection[Any], scope: Scope, period: Period | None, now: datetime, limit: int | None
) -> tuple[sql.Composed, Params] | None:
    """The statement `overview` runs for the first page of this view (None: nothing in scope), to EXPLAIN."""
    groups = await _groups(conn, scope, period, now, None)
    return _statement(groups, scope, limit=limit) if groups else None


async def overview(
    conn: AsyncConnection[Any],
    scope: Scope,
    period: Period | None,
    now: datetime,
    clip: Clip | None = None,
    *,
    limit: int | None = None,
    offset: int = 0,
    from_raw_rows: bool = False,
) -> Overview:
    """The page [offset, offset + limit) of the service points in scope, worst first.

    `from_raw_rows` computes the same answer from `ratings` alone (for benchmarks and cross-checks)."""
    groups = await _groups(conn, scope, period, now, clip)
    if not groups:
        return Overview(0, [])
    query, params = _statement(groups, scope, limit=limit, offset=offset, from_raw_rows=from_raw_rows)
    async with conn.cursor(row_factory=dict_row) as cursor:
        # Never prepared: a generic plan, blind to the period and the scope, can take minutes here.
        await cursor.execute(query, params, prepare=False)
        found = await cursor.fetchall()
    if not (scope.service or scope.channel):
        total_rows = sum(g.members for g in groups)
    elif found:
        total_rows = found[0]["total_rows"]
    else:  # a page past the end of a filtered view: count what there is
        total_rows = 0 if not offset else (await overview(conn, scope, period, now, clip, limit=1)).total_rows
    return Overview(total_rows, [_row(r) for r in found])


async def channels_of(
    conn: AsyncConnection[Any], rows: list[PointRow], scope: Scope
) -> dict[str, dict[str, FaceCounts]]:
    """Each row's counts per channel (only channels it has ratings of), over the row's own period: whole
    hours from the rollups, the rest from raw rows, as the row's own counts."""
    periods: dict[tuple[datetime, datetime, str], list[str]] = {}
    for r in rows:
        periods.setdefault((r.start, r.end, str(r.start.tzinfo)), []).append(r.id)
    out: dict[str, dict[str, FaceCounts]] = {r.id: {} for r in rows}
    for (start, end, timezone), ids in periods.items():
        zone = ZoneInfo(timezone)
        filters = aggregates.Filters(ids, scope.service, scope.channel)
        for (sp, channel), counts in (
            await aggregates.counts_by_point_and_channel(conn, split(start, end, zone), filters)
        ).items():
            out[sp][channel] = counts
    return out


def _row(r: dict[str, Any]) -> PointRow:
    target = targets.Target(
        r["t_min_green_share"], r["t_max_red_share"], r["t_min_ratings"], r["t_window_days"], r["t_source"]
    )
    return PointRow(
        id=r["id"],
        org=r["org_id"],
        name=r["name"],
        site=r["site_id"],
        region=r["region"],
        org_name=r["org_name"],
        site_name=r["site_name"],
        start=r["period_start"].astimezone(ZoneInfo(r["timezone"])),
        end=r["period_end"].astimezone(ZoneInfo(r["timezone"])),
        counts=FaceCounts(r["positive"], r["neutral"], r["negative"], r["misuse"]),
        assessment=flags.assessment(r),
        target=target,
    )
