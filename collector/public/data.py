"""The public results of one local month: per service point and service, counts per face, shares, the
participation rate and the flag; nothing for a cell with fewer ratings than the organisation's minimum.

No individual rating and nothing finer than a month: rows come from the monthly rollup, of months that have
ended. No totals per service point or organisation are published beside the cells, so a suppressed cell
cannot be recovered by subtraction.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from psycopg import AsyncConnection

from collector.insight import flags
from collector.insight.participation import Participations
from collector.insight.periods import midnight, next_month
from collector.store import monthly, registry, served, targets
from collector.store.reads import FaceCounts

ZERO = FaceCounts(0, 0, 0, 0)


@dataclass(frozen=True)
class PublicRow:
    month: date
    service_point: str
    service_point_name: str
    site: str
    service: str
    """'' for ratings that named no service."""
    service_name: str
    suppressed: bool
    """Fewer ratings than the minimum: every number below is left out."""
    ratings: int | None
    positive: int | None
    neutral: int | None
    negative: int | None
    green_share: float | None
    neutral_share: float | None
    red_share: float | None
    participation_rate: float | None
    flag: str | None


async def public_rows(
    conn: AsyncConnection[Any], org: str, timezone: str, month: date, min_count: int
) -> list[PublicRow]:
    zone = ZoneInfo(timezone)
    points = {p.id: p for p in await monthly.points(conn, org)}
    sites = {r["id"]: r["name"] for r in await registry.sites(conn, org)}
    services = {r["id"]: r["name"] for r in await registry.services(conn, org)}
    sums: dict[tuple[str, str], FaceCounts] = defaultdict(lambda: ZERO)
    for cell in await monthly.cells(conn, org, [month]):
        s, got = sums[(cell.service_point, cell.service)], cell.counts
        sums[(cell.service_point, cell.service)] = FaceCounts(
            s.positive + got.positive, s.neutral + got.neutral, s.negative + got.negative, 0
        )
    keys = sorted(k for k, v in sums.items() if v.total > 0)
    start, end = midnight(month, zone), midnight(next_month(month), zone)
    parts = Participations(
        await served.coverage(conn, list(points), start, end), {p.id: p.channel for p in points.values()}
    )
    applying = await targets.applying_each(conn, org, [(sp, svc or None) for sp, svc in keys])
    judged = await flags.assess_each(conn, [sums[k][:3] for k in keys], applying)
    out = []
    for (sp, svc), assessment in zip(keys, judged, strict=True):
        c = sums[(sp, svc)]
        point = points.get(sp)
        hidden = c.total < min_count
        rate = parts.of([sp], c.total, service=svc).rate if svc else None
        out.append(
            PublicRow(
                month=month,
                service_point=sp,
                service_point_name=point.name if point else sp,
                site=sites.get(point.site, "") if point else "",
                service=svc,
                service_name=services.get(svc, svc),
                suppressed=hidden,
                ratings=None if hidden else c.total,
                positive=None if hidden else c.positive,
                neutral=None if hidden else c.neutral,
                negative=None if hidden else c.negative,
                green_share=None if hidden else assessment.positive.share,
                neutral_share=None if hidden else assessment.neutral.share,
                red_share=None if hidden else assessment.negative.share,
                participation_rate=None if hidden else rate,
                flag=None if hidden else assessment.state.value,
            )
        )
    return out


def months_available(first: date | None, last: date) -> list[date]:
    """Months from the first with ratings to `last`, newest first."""
    out: list[date] = []
    cursor = last
    while first is not None and cursor >= first and len(out) < 120:
        out.append(cursor)
        cursor = date(cursor.year - (cursor.month == 1), (cursor.month - 2) % 12 + 1, 1)
    return out


FIELDS = tuple(PublicRow.__dataclass_fields__)
"""The open-data columns, in order."""


def flag_enum() -> list[str]:
    return [s.value for s in flags.FlagState]
