"""A period split into the coarsest pieces the rollups cover exactly, pure: the pieces tile [start, end) with no
overlap and no hole, each on its grain's edges (local years, months and days, UTC hours), across DST days of
23 and 25 hours, and nothing finer is used where a coarser grain fits."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from collector.insight.periods import (
    HOUR,
    Pieces,
    ceil_hour,
    days_period,
    floor_hour,
    local_date,
    midnight,
    month_start,
    next_month,
    next_year,
    split,
    week_start,
)

ROME = ZoneInfo("Europe/Rome")
NEW_YORK = ZoneInfo("America/New_York")
ZONES = (ROME, NEW_YORK, ZoneInfo("UTC"), ZoneInfo("Asia/Kolkata"))  # Kolkata: half an hour off UTC


def intervals(pieces: Pieces, zone: ZoneInfo) -> list[tuple[datetime, datetime, str]]:
    out = [
        (midnight(a, zone), midnight(b, zone), grain)
        for grain, ranges in (("year", pieces.years), ("month", pieces.months), ("day", pieces.days))
        for a, b in ranges
    ]
    out += [(a, b, "hour") for a, b in pieces.hours] + [(a, b, "raw") for a, b in pieces.raw]
    return sorted(out, key=lambda i: i[0])


def contains_whole_local(a: datetime, b: datetime, zone: ZoneInfo, step: str) -> bool:
    """Whether [a, b) holds a whole local day / month / year."""
    day = local_date(a, zone)
    start = {"day": day, "month": month_start(day), "year": date(day.year, 1, 1)}[step]
    while True:
        if midnight(start, zone) >= a:
            following = {"day": start + timedelta(days=1), "month": next_month(start), "year": next_year(start)}[step]
            return midnight(following, zone) <= b
        start = {"day": start + timedelta(days=1), "month": next_month(start), "year": next_year(start)}[step]


def check(start: datetime, end: datetime, zone: ZoneInfo, months: bool, hours: bool) -> None:
    pieces = split(start, end, zone, months=months, hours=hours)
    tiles = intervals(pieces, zone)
    if end <= start:
        assert tiles == []
        return
    # No hole, no overlap, nothing outside.
    assert tiles[0][0] == start
    assert tiles[-1][1] == end
    for (_, b, _), (a, _, _) in itertools.pairwise(tiles):
        assert b == a
    assert all(a < b for a, b, _ in tiles)
    # Each piece on its grain's edges.
    for y0, y1 in pieces.years:
        assert (y0.month, y0.day, y1.month, y1.day) == (1, 1, 1, 1)
    for m0, m1 in [*pieces.months, *pieces.years]:
        assert m0.day == 1
        assert m1.day == 1
    for h0, h1 in pieces.hours:
        assert floor_hour(h0) == h0
        assert floor_hour(h1) == h1
    # Nothing finer where a coarser grain fits.
    if not months:
        assert pieces.years == []
        assert pieces.months == []
    if not hours:
        assert pieces.hours == []
    for a, b, grain in tiles:
        if grain == "raw":
            assert not contains_whole_local(a, b, zone, "day")
            if hours:
                assert b - a < HOUR or ceil_hour(a) >= floor_hour(b)
        if grain in ("hour", "raw"):
            assert not contains_whole_local(a, b, zone, "day")
        if grain == "day" and months:
            assert not contains_whole_local(a, b, zone, "month")
        if grain == "month":
            assert not contains_whole_local(a, b, zone, "year")
    # Consecutive pieces of one grain are joined into one range.
    for grain in ("year", "month", "day", "hour"):
        same = [t for t in tiles if t[2] == grain]
        assert all(x[1] != y[0] for x, y in itertools.pairwise(same)), grain


instants = st.datetimes(
    min_value=datetime(2022, 1, 1),
    max_value=datetime(2026, 12, 31),
    timezones=st.sampled_from(ZONES),
    allow_imaginary=False,
).map(lambda t: t.replace(second=0, microsecond=0))


@settings(max_examples=300, deadline=None)
@given(instants, instants, st.sampled_from(ZONES), st.booleans(), st.booleans())
def test_the_pieces_tile_the_period_on_their_grains(
    a: datetime, b: datetime, zone: ZoneInfo, months: bool, hours: bool
) -> None:
    # In UTC: Python never finds an instant in a DST fold (01:30 on New York's last Sunday of autumn) equal to
    # one in another zone (PEP 495), so the tiles' UTC edges would not equal the same instant given locally.
    check(min(a, b).astimezone(UTC), max(a, b).astimezone(UTC), zone, months, hours)


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from([datetime(2026, 3, 29, tzinfo=ROME), datetime(2026, 10, 25, tzinfo=ROME)]),
    st.integers(-3000, 3000),
    st.integers(0, 6000),
    st.booleans(),
)
def test_around_the_dst_days(day: datetime, offset: int, minutes: int, hours: bool) -> None:
    start = (day + timedelta(minutes=offset)).astimezone(UTC)
    check(start, start + timedelta(minutes=minutes), ROME, True, hours)


def test_a_dst_day_is_one_day_of_23_or_25_hours() -> None:
    for day, length in ((date(2026, 3, 29), 23), (date(2026, 10, 25), 25)):
        start, end = days_period(day, day + timedelta(days=1), ROME)
        assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=length)
        assert split(start, end, ROME) == Pieces(days=[(day, day + timedelta(days=1))])


def test_a_morning_is_whole_hours_between_raw_slivers() -> None:
    start = datetime(2026, 11, 30, 8, 40, tzinfo=ROME)
    end = datetime(2026, 11, 30, 11, 5, tzinfo=ROME)
    pieces = split(start, end, ROME)
    nine, eleven = datetime(2026, 11, 30, 8, tzinfo=UTC), datetime(2026, 11, 30, 10, tzinfo=UTC)
    assert pieces == Pieces(hours=[(nine, eleven)], raw=[(start, nine), (eleven, end)])
    assert split(start, end, ROME, hours=False) == Pieces(raw=[(start, end)])
    inside = datetime(2026, 11, 30, 8, 50, tzinfo=ROME)
    assert split(start, inside, ROME) == Pieces(raw=[(start, inside)])


def test_a_period_from_midnight_starts_with_that_day() -> None:
    start = datetime(2026, 11, 2, tzinfo=ROME)
    assert split(start, start + timedelta(days=1, hours=1), ROME).days == [(date(2026, 11, 2), date(2026, 11, 3))]


def test_months_across_new_year_and_only_where_they_are_whole() -> None:
    pieces = split(datetime(2025, 11, 15, tzinfo=ROME), datetime(2026, 2, 3, tzinfo=ROME), ROME)
    assert pieces.months == [(date(2025, 12, 1), date(2026, 2, 1))]
    assert pieces.days == [(date(2025, 11, 15), date(2025, 12, 1)), (date(2026, 2, 1), date(2026, 2, 3))]
    assert pieces.years == []
    first_of_month = split(datetime(2026, 1, 1, tzinfo=ROME), datetime(2026, 3, 1, tzinfo=ROME), ROME)
    assert first_of_month == Pieces(months=[(date(2026, 1, 1), date(2026, 3, 1))])
    assert split(datetime(2026, 1, 1, tzinfo=ROME), datetime(2026, 3, 1, tzinfo=ROME), ROME, months=False) == Pieces(
        days=[(date(2026, 1, 1), date(2026, 3, 1))]
    )


def test_a_whole_year_and_the_months_either_side() -> None:
    pieces = split(datetime(2024, 12, 1, tzinfo=ROME), datetime(2026, 2, 1, tzinfo=ROME), ROME)
    assert pieces == Pieces(
        years=[(date(2025, 1, 1), date(2026, 1, 1))],
        months=[(date(2024, 12, 1), date(2025, 1, 1)), (date(2026, 1, 1), date(2026, 2, 1))],
    )
    assert split(datetime(2025, 1, 1, tzinfo=ROME), datetime(2026, 1, 1, tzinfo=ROME), ROME) == Pieces(
        years=[(date(2025, 1, 1), date(2026, 1, 1))]
    )


def test_calendar_steps() -> None:
    assert next_month(date(2025, 12, 17)) == date(2026, 1, 1)
    assert next_month(date(2026, 1, 31)) == date(2026, 2, 1)
    assert next_month(date(2026, 11, 1)) == date(2026, 12, 1)
    assert next_year(date(2026, 12, 31)) == date(2027, 1, 1)
    assert month_start(date(2026, 2, 28)) == date(2026, 2, 1)
    for day in (date(2026, 11, 30) + timedelta(days=n) for n in range(14)):
        monday = week_start(day)
        assert monday.weekday() == 0
        assert timedelta(0) <= day - monday < timedelta(days=7)


def test_hours_and_local_days_of_an_instant() -> None:
    late = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)  # already Tuesday in Rome
    assert local_date(late, ROME) == date(2026, 12, 1)
    assert midnight(date(2026, 12, 1), ROME) == datetime(2026, 11, 30, 23, tzinfo=UTC)
    assert floor_hour(late) == datetime(2026, 11, 30, 23, tzinfo=UTC)
    assert ceil_hour(late) == datetime(2026, 12, 1, tzinfo=UTC)
    on_the_hour = datetime(2026, 12, 1, 0, 30, tzinfo=ROME)  # 23:30 UTC: a whole UTC hour is not a local one
    assert floor_hour(on_the_hour) == datetime(2026, 11, 30, 23, tzinfo=UTC)
    assert ceil_hour(datetime(2026, 12, 1, tzinfo=UTC)) == datetime(2026, 12, 1, tzinfo=UTC)
    kolkata = datetime(2026, 12, 1, 5, 30, 0, 1, tzinfo=ZoneInfo("Asia/Kolkata"))
    assert floor_hour(kolkata) == datetime(2026, 12, 1, tzinfo=UTC)
    assert ceil_hour(kolkata) == datetime(2026, 12, 1, 1, tzinfo=UTC)


@pytest.fixture
def kolkata_machine(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A collector whose machine keeps local time half an hour off UTC."""
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("kolkata_machine")
def test_whole_hours_are_utc_hours_whatever_the_machines_zone() -> None:
    ten_past = datetime(2026, 12, 1, 0, 10, tzinfo=UTC)
    assert floor_hour(ten_past) == datetime(2026, 12, 1, tzinfo=UTC)
    assert ceil_hour(ten_past) == datetime(2026, 12, 1, 1, tzinfo=UTC)
    start, end = datetime(2026, 11, 30, 8, 40, tzinfo=ROME), datetime(2026, 11, 30, 11, 5, tzinfo=ROME)
    assert split(start, end, ROME).hours == [
        (datetime(2026, 11, 30, 8, tzinfo=UTC), datetime(2026, 11, 30, 10, tzinfo=UTC))
    ]
