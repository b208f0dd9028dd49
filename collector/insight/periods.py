"""Periods in an organisation's local time, and which rollup grain covers which part of them exactly.

Local days start at local midnight (so a DST day has 23 or 25 hours), ISO weeks start on Monday,
months on their first day. A period [start, end) is split into the coarsest pieces the rollups cover
exactly: whole local years (`rollup_yearly_points`, per service point; `rollup_monthly` when a
service or channel is asked), whole local months (`rollup_monthly`), whole local days (`rollup_daily`), whole UTC hours
(`rollup_hourly`), and what remains, shorter than an hour at either edge, from raw rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

HOUR = timedelta(hours=1)
DateRange = tuple[date, date]
TimeRange = tuple[datetime, datetime]


def midnight(day: date, zone: ZoneInfo) -> datetime:
    """Start of a local day, as an aware instant."""
    return datetime.combine(day, time(), zone)


def local_date(instant: datetime, zone: ZoneInfo) -> date:
    return instant.astimezone(zone).date()


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def week_start(day: date) -> date:
    """Monday of the ISO week."""
    return day - timedelta(days=day.weekday())


def floor_hour(instant: datetime) -> datetime:
    utc = instant.astimezone(UTC)
    return utc.replace(minute=0, second=0, microsecond=0)


def ceil_hour(instant: datetime) -> datetime:
    floor = floor_hour(instant)
    return floor if floor == instant else floor + HOUR


def next_year(day: date) -> date:
    return date(day.year + 1, 1, 1)


@dataclass
class Pieces:
    years: list[DateRange] = field(default_factory=list)
    months: list[DateRange] = field(default_factory=list)
    days: list[DateRange] = field(default_factory=list)
    hours: list[TimeRange] = field(default_factory=list)
    raw: list[TimeRange] = field(default_factory=list)


def split(start: datetime, end: datetime, zone: ZoneInfo, *, months: bool = True, hours: bool = True) -> Pieces:
    """Cover [start, end) exactly with whole years, whole months, whole days, whole UTC hours and raw slivers.

    `months=False` leaves months (and years) as days; `hours=False` leaves edges to raw rows (for tables
    that have a daily grain only, such as reasons).
    """
    pieces = Pieces()
    if end <= start:
        return pieces
    first_day = local_date(start, zone)
    if midnight(first_day, zone) < start:
        first_day += timedelta(days=1)
    last_day = local_date(end, zone)
    edges: list[TimeRange]
    if first_day < last_day:
        edges = [(start, midnight(first_day, zone)), (midnight(last_day, zone), end)]
        _split_days(first_day, last_day, pieces, months)
    else:
        edges = [(start, end)]
    for a, b in edges:
        if a >= b:
            continue
        h0, h1 = ceil_hour(a), floor_hour(b)
        if hours and h0 < h1:
            pieces.hours.append((h0, h1))
            pieces.raw.extend(r for r in ((a, h0), (h1, b)) if r[0] < r[1])
        else:
            pieces.raw.append((a, b))
    return pieces


def _split_days(first: date, last: date, pieces: Pieces, months: bool) -> None:
    m0 = first if first.day == 1 else next_month(first)
    m1 = month_start(last)
    if months and m0 < m1:
        y0 = m0 if m0.month == 1 else next_year(m0)
        y1 = m1.replace(month=1)
        if y0 < y1:
            pieces.years.append((y0, y1))
            pieces.months.extend(r for r in ((m0, y0), (y1, m1)) if r[0] < r[1])
        else:
            pieces.months.append((m0, m1))
        pieces.days.extend(r for r in ((first, m0), (m1, last)) if r[0] < r[1])
    else:
        pieces.days.append((first, last))


def days_period(first: date, last_exclusive: date, zone: ZoneInfo) -> TimeRange:
    return midnight(first, zone), midnight(last_exclusive, zone)
