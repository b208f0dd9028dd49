"""What a reader key may see in time, pure: periods on the resolution's grid only, and never the bucket still
open, so nobody can tell how the last citizen voted (over HTTP: tests/api/test_access.py, test_misuse_paths)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from collector.api.privacy import clipper, on_grid, open_bucket_start, readable_days
from collector.api.problems import ProblemError
from collector.api.security import Principal

ROME = ZoneInfo("Europe/Rome")
READER = Principal("rrrrrrrrrrrr", "reader", None)
ADMIN = Principal("aaaaaaaaaaaa", "admin", None)
NOW = datetime(2025, 6, 11, 10, 20, tzinfo=UTC)  # 12:20 in Rome; not today, so the clock of the run cannot help
HOUR = timedelta(hours=1)


def test_the_grid_of_each_resolution() -> None:
    assert on_grid(datetime(2025, 6, 11, 10, tzinfo=UTC), ROME, "hour")
    assert not on_grid(datetime(2025, 6, 11, 10, 0, 1, tzinfo=UTC), ROME, "hour")
    assert on_grid(datetime(2025, 6, 11, tzinfo=ROME), ROME, "day")
    assert not on_grid(datetime(2025, 6, 11, tzinfo=UTC), ROME, "day")  # 02:00 in Rome
    assert not on_grid(datetime(2025, 6, 11, 1, tzinfo=ROME), ROME, "day")
    assert open_bucket_start(NOW, ROME, "hour") == datetime(2025, 6, 11, 10, tzinfo=UTC)
    assert open_bucket_start(NOW, ROME, "day") == datetime(2025, 6, 11, tzinfo=ROME)


def test_an_admin_sees_exact_times() -> None:
    assert clipper(ADMIN, "hour", NOW) is None
    assert readable_days(ADMIN, "hour", None, None, ROME, NOW) == (
        datetime(2025, 5, 15, tzinfo=ROME),
        datetime(2025, 6, 12, tzinfo=ROME),
    )


def clip(resolution: str, start: datetime, end: datetime, now: datetime = NOW) -> tuple[datetime, datetime]:
    cut = clipper(READER, resolution, now)
    assert cut is not None
    return cut(start, end, ROME)


def refusal(resolution: str, start: datetime, end: datetime) -> ProblemError:
    with pytest.raises(ProblemError) as caught:
        clip(resolution, start, end)
    return caught.value


def test_a_reader_period_on_whole_hours_in_the_past_is_kept() -> None:
    start, end = datetime(2025, 6, 10, 8, tzinfo=UTC), datetime(2025, 6, 11, 9, tzinfo=UTC)
    assert clip("hour", start, end) == (start, end)


def test_a_reader_period_ending_in_the_open_hour_or_later_is_cut_where_the_hour_began() -> None:
    start = datetime(2025, 6, 10, 8, tzinfo=UTC)
    began = datetime(2025, 6, 11, 10, tzinfo=UTC)
    assert clip("hour", start, NOW) == (start, began)  # 'to' exactly now, off the grid: allowed, cut
    assert clip("hour", start, NOW + timedelta(days=3)) == (start, began)
    assert clip("hour", start, began + HOUR) == (start, began)
    assert clip("hour", began, began + HOUR) == (began, began)  # nothing readable yet
    assert clip("hour", began + HOUR, began + 2 * HOUR) == (began + HOUR, began + HOUR)


def test_a_reader_may_not_ask_for_a_finer_period() -> None:
    off = datetime(2025, 6, 10, 8, 30, tzinfo=UTC)
    problem = refusal("hour", off, datetime(2025, 6, 10, 10, tzinfo=UTC))
    assert (problem.status, problem.kind) == (403, "resolution")
    assert isinstance(problem.title, str)
    assert problem.title.strip()
    assert "'from' must fall on whole hours" in str(problem.detail)
    assert off.isoformat() in str(problem.detail)
    past = refusal("hour", datetime(2025, 6, 10, 8, tzinfo=UTC), NOW - timedelta(minutes=1))
    assert "'to' must fall on whole hours" in str(past.detail)
    in_days = refusal("day", datetime(2025, 6, 10, 8, tzinfo=UTC), datetime(2025, 6, 11, tzinfo=ROME))
    assert "'from' must fall on local midnights (dates)" in str(in_days.detail)


def test_with_daily_resolution_today_is_not_readable() -> None:
    start, today = datetime(2025, 6, 1, tzinfo=ROME), datetime(2025, 6, 11, tzinfo=ROME)
    assert clip("day", start, datetime(2025, 6, 10, tzinfo=ROME)) == (start, datetime(2025, 6, 10, tzinfo=ROME))
    assert clip("day", start, datetime(2025, 6, 12, tzinfo=ROME)) == (start, today)
    assert clip("day", start, NOW) == (start, today)


def test_without_a_clock_given_the_open_bucket_is_the_current_one() -> None:
    cut = clipper(READER, "hour")
    assert cut is not None
    start = datetime(2025, 1, 1, tzinfo=UTC)
    before = datetime.now(UTC)
    _, end = cut(start, datetime(2100, 1, 1, 0, 30, tzinfo=UTC), ROME)  # off the grid, but not yet past
    assert before - HOUR < end <= datetime.now(UTC)


def test_a_readers_default_days_end_before_today_or_the_open_hour() -> None:
    last_28 = datetime(2025, 5, 15, tzinfo=ROME)
    assert readable_days(READER, "day", None, None, ROME, NOW) == (last_28, datetime(2025, 6, 11, tzinfo=ROME))
    assert readable_days(READER, "hour", None, None, ROME, NOW) == (last_28, datetime(2025, 6, 11, 10, tzinfo=UTC))
    assert readable_days(READER, "day", date(2025, 6, 1), date(2025, 6, 5), ROME, NOW) == (
        datetime(2025, 6, 1, tzinfo=ROME),
        datetime(2025, 6, 5, tzinfo=ROME),
    )


def test_the_open_day_is_the_organisations_not_utcs() -> None:
    """22:30 UTC is already tomorrow in Rome: that day is the open one, and the default days include it."""
    late = datetime(2025, 6, 10, 22, 30, tzinfo=UTC)
    assert open_bucket_start(late, ROME, "day") == datetime(2025, 6, 11, tzinfo=ROME)
    assert readable_days(ADMIN, "day", None, None, ROME, late) == (
        datetime(2025, 5, 15, tzinfo=ROME),
        datetime(2025, 6, 12, tzinfo=ROME),
    )
