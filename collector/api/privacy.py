"""What a reader may see in time: nothing finer than the reader resolution, no bucket that is still open.

If a reader could ask for "the last five minutes", or compare "today so far" now and a minute ago, a
clerk could tell how the last citizen voted. So for keys without exact-time access every period must
start and end on the resolution's grid (whole hours, or local midnights with `day`), and ends after
the start of the current hour (or day) are cut there. Admin keys see exact times.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from collector.api.params import local_days
from collector.api.problems import ProblemError
from collector.api.security import Principal
from collector.insight.periods import days_period, floor_hour, local_date, midnight


def on_grid(instant: datetime, zone: ZoneInfo, resolution: str) -> bool:
    if resolution == "hour":
        return floor_hour(instant) == instant
    return midnight(local_date(instant, zone), zone) == instant


def open_bucket_start(now: datetime, zone: ZoneInfo, resolution: str) -> datetime:
    return floor_hour(now) if resolution == "hour" else midnight(local_date(now, zone), zone)


def clipper(
    principal: Principal, resolution: str, now: datetime | None = None
) -> Callable[[datetime, datetime, ZoneInfo], tuple[datetime, datetime]] | None:
    """A function that checks and cuts a period for this key, or None when the key sees exact times."""
    if principal.exact_times:
        return None
    moment = now or datetime.now(UTC)

    def clip(start: datetime, end: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
        for name, instant in (("from", start), ("to", end)):
            if not on_grid(instant, zone, resolution) and not (name == "to" and instant >= moment):
                grid = "whole hours" if resolution == "hour" else "local midnights (dates)"
                raise ProblemError(
                    403,
                    "resolution",
                    "Finer than this key may see",
                    f"'{name}' must fall on {grid} for a reader key ({instant.isoformat()} does not)",
                )
        limit = open_bucket_start(moment, zone, resolution)
        end = min(end, limit)
        return start, max(start, end)

    return clip


def readable_days(
    principal: Principal, resolution: str, start: date | None, end: date | None, zone: ZoneInfo, now: datetime
) -> tuple[datetime, datetime]:
    """The instants of local days [start, end) (default: the last 28, today included), cut for a reader."""
    a, b = days_period(*local_days(start, end, zone, now), zone)
    if clip := clipper(principal, resolution, now):
        a, b = clip(a, b, zone)
    return a, b
