"""Reads of whole local months for reports and public results: the monthly rollup, reasons, the registry.

`rollup_monthly` holds, per local month, exactly the counts of the raw rows (it is kept in the same
transaction as they are, and outlives them), so a month's report adds nothing up from raw rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from psycopg import AsyncConnection

from collector.store.reads import FaceCounts
from collector.store.registry import rows


@dataclass(frozen=True, slots=True)
class Cell:
    month: date
    service_point: str
    service: str
    """'' when the ratings named no service."""
    channel: str
    counts: FaceCounts


@dataclass(frozen=True, slots=True)
class Point:
    id: str
    name: str
    site: str
    """'' when the service point belongs to no site."""
    channel: str


async def cells(conn: AsyncConnection[Any], org: str, months: Sequence[date]) -> list[Cell]:
    """Counts per (month, service point, service, channel) of the organisation's service points."""
    found = await rows(
        conn,
        "SELECT r.month, r.service_point_id, r.service_id, r.channel::text AS channel, r.positive, r.neutral,"
        " r.negative, r.misuse FROM rollup_monthly r JOIN service_points sp ON sp.id = r.service_point_id"
        " WHERE sp.org_id = %(org)s AND r.month = ANY(%(months)s)"
        " AND r.positive + r.neutral + r.negative + r.misuse > 0",
        {"org": org, "months": list(months)},
    )
    return [
        Cell(
            r["month"],
            r["service_point_id"],
            r["service_id"],
            r["channel"],
            FaceCounts(r["positive"], r["neutral"], r["negative"], r["misuse"]),
        )
        for r in found
    ]


async def reasons(conn: AsyncConnection[Any], org: str, first: date, last_exclusive: date) -> list[dict[str, Any]]:
    """Reasons after red faces (misuse excluded) per service point, service, channel and reason, over days."""
    return await rows(
        conn,
        "SELECT r.service_point_id AS service_point, r.service_id AS service, r.channel::text AS channel, r.reason,"
        " sum(r.n)::bigint AS n FROM reason_daily r JOIN service_points sp ON sp.id = r.service_point_id"
        " WHERE sp.org_id = %(org)s AND r.day >= %(first)s AND r.day < %(last)s"
        " GROUP BY 1, 2, 3, 4 HAVING sum(r.n) > 0",
        {"org": org, "first": first, "last": last_exclusive},
    )


async def points(conn: AsyncConnection[Any], org: str) -> list[Point]:
    found = await rows(
        conn,
        "SELECT id, name, coalesce(site_id, '') AS site, channel::text AS channel FROM service_points"
        " WHERE org_id = %(org)s ORDER BY id",
        {"org": org},
    )
    return [Point(r["id"], r["name"], r["site"], r["channel"]) for r in found]


async def first_month(conn: AsyncConnection[Any], org: str) -> date | None:
    """The first local month with ratings of the organisation."""
    found = await rows(
        conn,
        "SELECT min(r.month) AS m FROM rollup_monthly_points r JOIN service_points sp ON sp.id = r.service_point_id"
        " WHERE sp.org_id = %(org)s",
        {"org": org},
    )
    month: date | None = found[0]["m"]
    return month
