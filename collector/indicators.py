"""The overview: every service point's counts over a period, judged by `collector.flags`, worst first.

Counts come from the rollups (see `collector.periods.split`); each service point is judged over the
requested period, or, without one, over its own target's evaluation window (the last N local days).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from psycopg import AsyncConnection

from collector import flags
from collector.periods import Pieces, midnight, split
from collector.store import aggregates
from collector.store.reads import FaceCounts

Clip = Callable[[datetime, datetime, ZoneInfo], tuple[datetime, datetime]]
Period = tuple[date, date] | tuple[datetime, datetime]


@dataclass(frozen=True)
class Scope:
    org: str | None = None
    site: str | None = None
    service: str | None = None
    channel: str | None = None


@dataclass(frozen=True)
class PointRow:
    id: str
    name: str
    org: str
    site: str | None
    region: str | None
    timezone: str
    start: datetime
    end: datetime
    counts: FaceCounts
    assessment: flags.Assessment
    target: flags.Target


POINTS = """
SELECT sp.id, sp.name, sp.org_id, sp.site_id, s.region, o.timezone
FROM service_points sp JOIN organisations o ON o.id = sp.org_id LEFT JOIN sites s ON s.id = sp.site_id
WHERE (%(org)s::text IS NULL OR sp.org_id = %(org)s) AND (%(site)s::text IS NULL OR sp.site_id = %(site)s)
ORDER BY sp.id
"""


async def targets_of(conn: AsyncConnection[Any], orgs: list[str]) -> dict[str, dict[tuple[str, str], flags.Target]]:
    cur = await conn.execute(
        "SELECT org_id, scope, scope_id, min_green_share, max_red_share, min_ratings, window_days"
        " FROM targets WHERE org_id = ANY(%s)",
        (orgs,),
    )
    out: dict[str, dict[tuple[str, str], flags.Target]] = defaultdict(dict)
    for org, scope, scope_id, green, red, n, window in await cur.fetchall():
        out[org][(scope, scope_id)] = flags.Target(green, red, n, window, scope)
    return out


def bounds(period: Period | None, target: flags.Target, zone: ZoneInfo, now: datetime) -> tuple[datetime, datetime]:
    if period is None:
        today = now.astimezone(zone).date()
        return midnight(today - timedelta(days=target.window_days - 1), zone), now
    start, end = period
    if isinstance(start, datetime) and isinstance(end, datetime):
        return start, end
    assert isinstance(start, date)
    assert isinstance(end, date)
    return midnight(start, zone), midnight(end, zone)


async def overview(
    conn: AsyncConnection[Any],
    scope: Scope,
    period: Period | None,
    now: datetime,
    clip: Clip | None = None,
    from_raw_rows: bool = False,
) -> list[PointRow]:
    """`from_raw_rows` computes the same answer from `ratings` alone (for benchmarks and cross-checks)."""
    cur = await conn.execute(POINTS, {"org": scope.org, "site": scope.site})
    points = await cur.fetchall()
    targets = await targets_of(conn, sorted({p[2] for p in points}))
    groups: dict[tuple[str, datetime, datetime], list[tuple[Any, ...]]] = defaultdict(list)
    resolved: dict[str, flags.Target] = {}
    for point in points:
        sp_id, org, timezone = point[0], point[2], point[5]
        target = flags.resolve_target(sp_id, scope.service, targets.get(org, {}))
        resolved[sp_id] = target
        zone = ZoneInfo(timezone)
        start, end = bounds(period, target, zone, now)
        if clip is not None:
            start, end = clip(start, end, zone)
        groups[(timezone, start, end)].append(point)
    rows = []
    for (timezone, start, end), members in groups.items():
        filters = aggregates.Filters([m[0] for m in members], scope.service, scope.channel)
        pieces = Pieces(raw=[(start, end)]) if from_raw_rows else split(start, end, ZoneInfo(timezone))
        counts = await aggregates.counts_by_service_point(conn, pieces, filters)
        for sp_id, name, org, site, region, _tz in members:
            c = counts.get(sp_id, FaceCounts(0, 0, 0, 0))
            if (scope.service or scope.channel) and c.total + c.misuse == 0:
                continue
            target = resolved[sp_id]
            assessment = flags.assess(c.positive, c.neutral, c.negative, target)
            rows.append(PointRow(sp_id, name, org, site, region, timezone, start, end, c, assessment, target))
    rows.sort(key=lambda r: (*flags.sort_key(r.assessment), r.id))
    return rows
