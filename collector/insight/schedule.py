"""Opening hours as instants: a weekly pattern in local time and exceptions, turned into UTC periods.

Times are minutes after local midnight (1440: the next midnight). Each is made an instant on its own
day in the organisation's zone, so an office open 08:00-18:00 on the day clocks go back is open ten
real hours, and a period is measured in real (UTC) time. A local time that does not exist (02:30 on
the day clocks go forward) is read with the offset before the change, as `zoneinfo` does.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

Interval = tuple[int, int]
"""[opens, closes) in minutes after local midnight."""
TimeRange = tuple[datetime, datetime]
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Keys of a weekly pattern, ISO order (Monday is weekday 1)."""
CLOCK = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$|^24:00$")


@dataclass(frozen=True)
class Schedule:
    """The hours that apply to one service point (already resolved from organisation, site, service point)."""

    weekly: Mapping[int, tuple[Interval, ...]] | None
    """ISO weekday -> intervals; None when no pattern is set anywhere (hours unknown)."""
    exceptions: Mapping[date, tuple[Interval, ...]] = field(default_factory=dict)
    """Days unlike the pattern; an empty tuple is a closed day."""

    @property
    def known(self) -> bool:
        return self.weekly is not None or bool(self.exceptions)

    def intervals(self, day: date) -> tuple[Interval, ...]:
        if day in self.exceptions:
            return self.exceptions[day]
        return (self.weekly or {}).get(day.isoweekday(), ())


def parse_clock(text: str) -> int:
    """'08:30' -> 510; '24:00' -> 1440."""
    if not CLOCK.match(text):
        raise ValueError(f"{text!r} is not a time HH:MM (00:00-24:00)")
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def parse_intervals(text: str) -> tuple[Interval, ...]:
    """'08:30-12:30,14:00-16:00' -> ((510, 750), (840, 960)); '' or 'closed' -> ()."""
    if text.strip().lower() in ("", "closed", "chiuso"):
        return ()
    out = []
    for part in text.split(","):
        opens, sep, closes = part.strip().partition("-")
        if not sep:
            raise ValueError(f"{part.strip()!r} is not an interval HH:MM-HH:MM")
        out.append((parse_clock(opens.strip()), parse_clock(closes.strip())))
    return checked(out)


def checked(intervals: Iterable[Interval]) -> tuple[Interval, ...]:
    """Sorted intervals of one day; each must open before it closes, and none may overlap another."""
    ordered = sorted(intervals)
    for opens, closes in ordered:
        if not 0 <= opens < closes <= 1440:
            raise ValueError(f"{clock(opens)}-{clock(closes)}: a day's interval must open before it closes")
    for (_a, b), (c, _d) in itertools.pairwise(ordered):
        if c < b:
            raise ValueError(f"intervals overlap at {clock(c)}")
    return tuple(ordered)


def instant(day: date, minutes: int, zone: ZoneInfo) -> datetime:
    if minutes >= 1440:
        return datetime.combine(day + timedelta(days=1), time(), zone).astimezone(UTC)
    return datetime.combine(day, time(minutes // 60, minutes % 60), zone).astimezone(UTC)


def open_periods(schedule: Schedule, start: datetime, end: datetime, zone: ZoneInfo) -> list[TimeRange]:
    """The UTC periods within [start, end) when the schedule is open, in order, touching ones merged."""
    out: list[TimeRange] = []
    if end <= start:
        return out
    day = start.astimezone(zone).date() - timedelta(days=1)
    last = end.astimezone(zone).date()
    while day <= last:
        for opens, closes in schedule.intervals(day):
            a, b = max(instant(day, opens, zone), start), min(instant(day, closes, zone), end)
            if a >= b:
                continue
            if out and out[-1][1] >= a:
                out[-1] = (out[-1][0], max(out[-1][1], b))
            else:
                out.append((a, b))
        day += timedelta(days=1)
    return out


def open_minutes(schedule: Schedule, start: datetime, end: datetime, zone: ZoneInfo) -> float:
    return sum((b - a).total_seconds() for a, b in open_periods(schedule, start, end, zone)) / 60


def is_open(schedule: Schedule, start: datetime, end: datetime, zone: ZoneInfo) -> bool:
    """Whether the schedule is open at any moment of [start, end)."""
    return bool(open_periods(schedule, start, end, zone))
