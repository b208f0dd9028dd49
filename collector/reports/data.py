"""The monthly report's data function: every number of every rendering (JSON, XLSX, HTML, PDF) comes from here.

Counts come from the monthly rollup (exactly the raw rows of the local month, misuse counted apart), flags
and intervals from `collector.insight.flags` with the target that applies to each view, participation from
`collector.insight.participation`, opening hours from `collector.store.opening_hours`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from psycopg import AsyncConnection

from collector.insight import flags
from collector.insight.participation import Participation, Participations
from collector.insight.periods import midnight, next_month
from collector.reports import actions
from collector.reports.model import LEVELS, Compared, Level, MonthlyReport, RankedReason, Row
from collector.store import monthly, opening_hours, registry, served, targets
from collector.store.reads import FaceCounts
from collector.store.scope import OrgScope

ZERO = FaceCounts(0, 0, 0, 0)
CHANNELS = ("counter", "phone", "web", "app", "paper")


def previous_month(month: date) -> date:
    return date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)


def _add(a: FaceCounts, b: FaceCounts) -> FaceCounts:
    return FaceCounts(a.positive + b.positive, a.neutral + b.neutral, a.negative + b.negative, a.misuse + b.misuse)


def _compared(c: FaceCounts) -> Compared:
    n = c.total
    return Compared(n, c.positive / n if n else None, c.negative / n if n else None)


def _worst_first(row: Row) -> tuple[int, float, float, str]:
    a = row.assessment
    rank = {flags.FlagState.BELOW_TARGET: 0, flags.FlagState.ON_TARGET: 1}.get(a.state, 2)
    return (rank, a.positive.high, -a.negative.low, row.name)


async def monthly_report(
    conn: AsyncConnection[Any], org: str, month: date, *, scope: OrgScope, now: datetime | None = None
) -> MonthlyReport:
    """The report of one local month of an organisation (which must exist and be in `scope`)."""
    info = await registry.organisation(conn, org)
    if info is None or not scope.allows(org):
        raise registry.not_found("organisation", org)
    zone = ZoneInfo(info["timezone"])
    month = month.replace(day=1)
    prev, year_ago = previous_month(month), month.replace(year=month.year - 1)
    start, end = midnight(month, zone), midnight(next_month(month), zone)
    points = await monthly.points(conn, org)
    ids = [p.id for p in points]
    site_of = {p.id: p.site for p in points}
    channel_of = {p.id: p.channel for p in points}
    site_names = {r["id"]: r["name"] for r in await registry.sites(conn, org)}
    service_names = {r["id"]: r["name"] for r in await registry.services(conn, org)}

    by_month: dict[date, list[monthly.Cell]] = defaultdict(list)
    for cell in await monthly.cells(conn, org, [month, prev, year_ago]):
        by_month[cell.month].append(cell)
    reason_rows = await monthly.reasons(conn, org, month, next_month(month))
    prev_reasons = await monthly.reasons(conn, org, prev, month)
    parts = Participations(await served.coverage(conn, ids, start, end), channel_of)
    hours = await opening_hours.open_minutes(conn, ids, start, end, scope=scope)

    keyers: dict[Level, Callable[[str, str, str], str]] = {
        "organisation": lambda sp, svc, ch: "",
        "site": lambda sp, svc, ch: site_of.get(sp, ""),
        "service": lambda sp, svc, ch: svc,
        "channel": lambda sp, svc, ch: ch,
        "service_point": lambda sp, svc, ch: sp,
    }
    members: dict[Level, dict[str, list[str]]] = {
        "organisation": {"": ids},
        "site": _group(ids, site_of),
        "service_point": {sp: [sp] for sp in ids},
    }
    names: dict[Level, Callable[[str], str]] = {
        "organisation": lambda k: info["name"],
        "site": lambda k: site_names.get(k, k),
        "service": lambda k: service_names.get(k, k),
        "channel": lambda k: k,
        "service_point": {p.id: p.name for p in points}.get,  # type: ignore[dict-item]
    }
    shells: list[tuple[Level, str, FaceCounts, Compared, Compared, dict[str, int]]] = []
    for level, key_of in keyers.items():
        sums = {m: _sum(by_month[m], key_of) for m in (month, prev, year_ago)}
        reasons: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for r in reason_rows:
            reasons[key_of(r["service_point"], r["service"], r["channel"])][r["reason"]] += int(r["n"])
        keys = set(sums[month])
        keys |= set(members.get(level, {}))
        if level == "service":
            keys |= set(service_names)
        if level == "channel":
            keys |= set(channel_of.values())
        for key in sorted(keys):
            shells.append(
                (
                    level,
                    key,
                    sums[month].get(key, ZERO),
                    _compared(sums[prev].get(key, ZERO)),
                    _compared(sums[year_ago].get(key, ZERO)),
                    dict(reasons.get(key, {})),
                )
            )
    views: list[tuple[str, str | None]] = [
        (key if level == "service_point" else "", (key or None) if level == "service" else None)
        for level, key, *_ in shells
    ]
    applying = await targets.applying_each(conn, org, views)
    judged = await flags.assess_each(conn, [s[2][:3] for s in shells], applying)
    levels: dict[Level, list[Row]] = defaultdict(list)
    for (level, key, counts, before, year, reasons_of), target, assessment in zip(
        shells, applying, judged, strict=True
    ):
        if level == "service":
            part = parts.of(ids, counts.total, service=key) if key else Participation(None, 0, counts.total)
        elif level == "channel":
            part = parts.of(ids, counts.total, channel=key)
        else:
            part = parts.of(members[level].get(key, []), counts.total)
        levels[level].append(
            Row(
                level=level,
                key=key,
                name=names[level](key) or key,
                counts=counts,
                assessment=assessment,
                target=target,
                participation=part,
                previous=before,
                year_ago=year,
                reasons=reasons_of,
                site=site_names.get(site_of.get(key, ""), site_of.get(key) or None)
                if level == "service_point"
                else None,
                open_hours=(None if (m := hours.get(key)) is None else m / 60) if level == "service_point" else None,
            )
        )
    levels["service_point"].sort(key=_worst_first)
    levels["channel"].sort(key=lambda r: CHANNELS.index(r.key) if r.key in CHANNELS else len(CHANNELS))
    overall = levels.pop("organisation")[0]
    labels = {
        r["code"]: {"it": r["label_it"], "en": r["label_en"]} for r in await registry.reasons(conn, org, retired=True)
    }
    before_counts: dict[str, int] = defaultdict(int)
    for r in prev_reasons:
        before_counts[r["reason"]] += int(r["n"])
    negative = overall.counts.negative
    ranked = [
        RankedReason(
            code,
            labels.get(code, {"it": code, "en": code}),
            n,
            n / negative if negative else 0.0,
            before_counts.get(code, 0),
        )
        for code, n in sorted(overall.reasons.items(), key=lambda item: (-item[1], item[0]))
    ]
    return MonthlyReport(
        organisation=org,
        organisation_name=info["name"],
        timezone=info["timezone"],
        month=month,
        start=start,
        end=end,
        generated_at=now or datetime.now(UTC),
        overall=overall,
        levels={level: levels[level] for level in LEVELS if level != "organisation"},  # every level, even empty
        reasons=ranked,
        without_reason=negative - sum(overall.reasons.values()),
        actions=await actions.recorded(conn, org, month, now),
    )


def _sum(cells: Iterable[monthly.Cell], key_of: Callable[[str, str, str], str]) -> dict[str, FaceCounts]:
    out: dict[str, FaceCounts] = {}
    for c in cells:
        key = key_of(c.service_point, c.service, c.channel)
        out[key] = _add(out.get(key, ZERO), c.counts)
    return out


def _group(ids: Iterable[str], of: dict[str, str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for i in ids:
        out[of[i]].append(i)
    return dict(out)
