"""Every number of the read endpoints on known data: counts, shares, Wilson bounds, flags, DST days, misuse."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.api.known_data import Press, many, mark_misuse, press, store
from tests.api.test_flags import reference
from tests.fixtures.fix_api import Api

ROME = ZoneInfo("Europe/Rome")


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ROME)


def expected(presses: list[Press], start: datetime, end: datetime, sp: str = "sp-1") -> Counter[str]:
    return Counter(p.face.value for p in presses if p.service_point == sp and start <= p.at < end)


@pytest.fixture
def mixed(api: Api) -> list[Press]:
    """Random presses over autumn 2025 (the 25-hour DST day included) at two service points."""
    rng = random.Random(7)
    start = local(2025, 9, 20, 0, 0).astimezone(UTC)
    presses = [
        press(
            start + timedelta(seconds=rng.randrange(0, 60 * 86400)),
            rng.choices(["positive", "neutral", "negative"], weights=[6, 2, 2])[0],
            service_point=rng.choice(["sp-1", "sp-2"]),
            service=rng.choice([None, "tributi"]),
        )
        for _ in range(3000)
    ]
    # The hour 02:00-03:00 happens twice on 2025-10-26: one press in each.
    presses += [
        press(datetime(2025, 10, 26, 0, 30, tzinfo=UTC), "negative"),
        press(datetime(2025, 10, 26, 1, 30, tzinfo=UTC), "negative"),
    ]
    store(api.database_url, presses)
    return presses


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2025-10-26", "2025-10-27"),  # the 25-hour day
        ("2025-09-15", "2025-11-30"),  # partial month, a whole month, partial month
        ("2025-10-01", "2025-11-01"),  # exactly one month
        ("2025-10-26T02:15:00+01:00", "2025-11-03T17:45:10+01:00"),  # sub-hour edges (raw rows)
        ("2025-10-26T01:00:00Z", "2025-10-26T02:00:00Z"),  # the second 02:00 local hour alone
    ],
)
def test_summary_counts_equal_the_presses(api: Api, mixed: list[Press], start: str, end: str) -> None:
    got = api.get("/v1/service-points/sp-1/summary", **{"from": start, "to": end})
    a, b = _bounds(start, end)
    want = expected(mixed, a, b)
    assert got["counts"] == {"positive": want["positive"], "neutral": want["neutral"], "negative": want["negative"]}
    assert got["total"] == sum(want.values())


def _bounds(start: str, end: str) -> tuple[datetime, datetime]:
    def parse(text: str) -> datetime:
        if "T" in text:
            return datetime.fromisoformat(text)
        return datetime.combine(date.fromisoformat(text), datetime.min.time(), ROME)

    return parse(start), parse(end)


def test_overview_numbers(api: Api, mixed: list[Press]) -> None:
    got = api.get("/v1/overview", **{"from": "2025-10-01", "to": "2025-11-01"})
    assert got["total_rows"] == 2
    a, b = _bounds("2025-10-01", "2025-11-01")
    for row in got["rows"]:
        want = expected(mixed, a, b, row["service_point"])
        n = sum(want.values())
        assert row["total"] == n
        assert row["misuse"] == 0
        for face in ("positive", "neutral", "negative"):
            share = row["shares"][face]
            assert row["counts"][face] == want[face]
            assert share["share"] == pytest.approx(want[face] / n, abs=1e-12)
            low, high = reference(want[face], n)
            assert share["low"] == pytest.approx(low, abs=1e-9)
            assert share["high"] == pytest.approx(high, abs=1e-9)
        # Local midnights of 1 October (CEST) and 1 November (CET), in UTC as every answer's instants are.
        assert row["period"] == {"start": "2025-09-30T22:00:00.000000Z", "end": "2025-10-31T23:00:00.000000Z"}
        # Every press came from a kiosk: one channel, the counter, with the row's very figures.
        assert [(c["channel"], c["total"], c["counts"]) for c in row["channels"]] == [("counter", n, row["counts"])]


def test_overview_flags_worst_first_and_filters(api: Api) -> None:
    day = local(2025, 3, 3, 9, 0)
    presses = (
        many(day, {"positive": 90, "neutral": 5, "negative": 5}, service_point="good")
        + many(day, {"positive": 40, "neutral": 20, "negative": 40}, service_point="bad", service="tributi")
        + many(day, {"negative": 5}, service_point="tiny")
    )
    store(api.database_url, presses)
    period = {"from": "2025-03-01", "to": "2025-04-01"}
    rows = api.get("/v1/overview", **period)["rows"]
    assert [(r["service_point"], r["flag"]["state"]) for r in rows] == [
        ("bad", "below_target"),
        ("good", "on_target"),
        ("tiny", "not_enough_data"),
    ]
    assert rows[0]["flag"]["reasons"] == ["green_share_below_target", "red_share_above_limit"]
    assert rows[0]["target"]["source"] == "default"
    only = api.get("/v1/overview", service="tributi", **period)["rows"]
    assert [r["service_point"] for r in only] == ["bad"]
    page = api.get("/v1/overview", limit=1, offset=1, **period)
    assert page["total_rows"] == 3
    assert [r["service_point"] for r in page["rows"]] == ["good"]
    # A stricter service point target turns "good" below target; the service target applies when filtering by it.
    api.put("/v1/organisations/org/targets/service-points/good", {"min_green_share": 0.97, "max_red_share": 0.5})
    api.put("/v1/organisations/org/targets/services/tributi", {"min_green_share": 0.1, "max_red_share": 0.9})
    rows = {r["service_point"]: r for r in api.get("/v1/overview", **period)["rows"]}
    assert rows["good"]["flag"]["state"] == "below_target"
    assert rows["good"]["target"]["source"] == "service_point"
    assert api.get("/v1/overview", service="tributi", **period)["rows"][0]["flag"]["state"] == "on_target"


def test_misuse_is_excluded_and_counted(api: Api) -> None:
    at = local(2025, 3, 4, 10, 0)
    honest = store(api.database_url, many(at, {"positive": 40, "negative": 5}))
    burst = store(
        api.database_url,
        many(at + timedelta(hours=1), {"negative": 50}, every=timedelta(seconds=1), reason="waiting-time"),
    )
    mark_misuse(api.database_url, burst)
    row = api.get("/v1/overview", **{"from": "2025-03-01", "to": "2025-04-01"})["rows"][0]
    assert row["counts"] == {"positive": 40, "neutral": 0, "negative": 5}
    assert row["misuse"] == 50
    assert row["shares"]["positive"]["share"] == 40 / 45
    assert (row["shares"]["positive"]["low"], row["shares"]["positive"]["high"]) == pytest.approx(reference(40, 45))
    summary = api.get(
        "/v1/service-points/sp-1/summary", **{"from": "2025-03-04T10:00:00+01:00", "to": "2025-03-04T12:00:30+01:00"}
    )
    assert (summary["total"], summary["misuse"]) == (45, 50)
    ranking = api.get("/v1/organisations/org/reasons/ranking", **{"from": "2025-03-01", "to": "2025-04-01"})
    assert ranking["reasons"] == []
    assert ranking["negative"] == 5
    assert len(honest) == 45


def test_series_by_day_week_month_and_hour(api: Api, mixed: list[Press]) -> None:
    for grain, first, last in (
        ("day", "2025-10-20", "2025-11-03"),
        ("week", "2025-10-01", "2025-11-15"),
        ("month", "2025-09-01", "2025-12-01"),
    ):
        got = api.get("/v1/service-points/sp-1/series", grain=grain, **{"from": first, "to": last})
        buckets = got["buckets"]
        assert datetime.fromisoformat(buckets[0]["start"]) == _bounds(first, last)[0]
        assert datetime.fromisoformat(buckets[-1]["end"]) == _bounds(first, last)[1]
        for bucket in buckets:
            want = expected(mixed, datetime.fromisoformat(bucket["start"]), datetime.fromisoformat(bucket["end"]))
            assert bucket["counts"] == {f: want[f] for f in ("positive", "neutral", "negative")}, (grain, bucket)
    weeks = api.get("/v1/service-points/sp-1/series", grain="week", **{"from": "2025-10-01", "to": "2025-11-15"})[
        "buckets"
    ]
    local_days = [datetime.fromisoformat(b["start"]).astimezone(ROME).date().isoformat() for b in weeks[:2]]
    assert local_days == ["2025-10-01", "2025-10-06"]  # cut to the period, then Mondays
    hours = api.get("/v1/service-points/sp-1/series", grain="hour", **{"from": "2025-10-26", "to": "2025-10-27"})[
        "buckets"
    ]
    assert len(hours) == 25
    assert sum(b["total"] for b in hours) == sum(expected(mixed, *_bounds("2025-10-26", "2025-10-27")).values())


def test_hour_weekday_matrix(api: Api, mixed: list[Press]) -> None:
    got = api.get("/v1/service-points/sp-1/hour-weekday", **{"from": "2025-10-01", "to": "2025-11-01"})
    assert len(got["cells"]) == 7 * 24
    a, b = _bounds("2025-10-01", "2025-11-01")
    want: Counter[tuple[int, int]] = Counter()
    greens: Counter[tuple[int, int]] = Counter()
    for p in mixed:
        if p.service_point == "sp-1" and a <= p.at < b:
            at = p.at.astimezone(ROME)
            want[(at.isoweekday(), at.hour)] += 1
            greens[(at.isoweekday(), at.hour)] += p.face.value == "positive"
    for cell in got["cells"]:
        key = (cell["weekday"], cell["hour"])
        assert cell["total"] == want[key]
        assert cell["green_share"] == (greens[key] / want[key] if want[key] else None)


def test_reasons_ranked_with_labels(api: Api) -> None:
    at = local(2025, 3, 5, 9, 0)
    presses = (
        many(at, {"negative": 7}, reason="waiting-time")
        + many(at + timedelta(hours=1), {"negative": 3}, reason="staff-courtesy")
        + many(at + timedelta(hours=2), {"negative": 2})
        + many(at + timedelta(hours=3), {"positive": 20})
    )
    store(api.database_url, presses)
    api.post("/v1/organisations", {"id": "org2", "name": "Other"})  # the catalogue comes with an organisation
    api.put(
        "/v1/organisations/org/reasons",
        {"reasons": [{"code": "waiting-time", "label_it": "Tempo di attesa", "label_en": "Waiting time"}]},
    )
    # An instant end inside the day: the day's remainder comes from raw rows.
    got = api.get("/v1/organisations/org/reasons/ranking", **{"from": "2025-03-01", "to": "2025-03-06"})
    assert got["negative"] == 12
    assert got["without_reason"] == 2
    assert [(r["code"], r["count"], r["share_of_negative"]) for r in got["reasons"]] == [
        ("waiting-time", 7, 7 / 12),
        ("staff-courtesy", 3, 3 / 12),
    ]
    assert got["reasons"][0]["labels"] == {"it": "Tempo di attesa", "en": "Waiting time"}


def test_rollups_give_the_same_overview_as_raw_rows(api: Api, mixed: list[Press]) -> None:
    import asyncio

    import psycopg

    from collector.insight.indicators import Scope, overview

    async def both() -> tuple[list[object], list[object]]:
        async with await psycopg.AsyncConnection.connect(api.database_url) as conn:
            period = (local(2025, 9, 28, 13, 17), local(2025, 11, 7, 8, 5))
            now = datetime.now(UTC)
            fast = await overview(conn, Scope(), period, now)
            slow = await overview(conn, Scope(), period, now, from_raw_rows=True)
            return [(r.id, r.counts, r.assessment) for r in fast.rows], [
                (r.id, r.counts, r.assessment) for r in slow.rows
            ]

    fast, slow = asyncio.run(both())
    assert fast == slow
    assert len(fast) == 2


def test_each_point_judged_over_its_own_window(api: Api) -> None:
    now = datetime.now(ROME)
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    old, recent = today - timedelta(days=10), today + (now - today) / 2  # earlier today, whatever the hour
    for sp in ("sp-1", "sp-2"):
        store(api.database_url, many(old, {"negative": 10}, service_point=sp, kiosk=f"k-{sp}"))
        store(
            api.database_url,
            many(recent, {"positive": 2}, every=timedelta(microseconds=1), service_point=sp, kiosk=f"k-{sp}"),
        )
    api.put(
        "/v1/organisations/org/targets/service-points/sp-2",
        {"min_green_share": 0.5, "max_red_share": 0.5, "window_days": 1},
    )
    rows = {r["service_point"]: r for r in api.get("/v1/overview")["rows"]}
    assert rows["sp-1"]["total"] == 12  # the default 28 days
    assert rows["sp-2"]["total"] == 2  # today only
    assert datetime.fromisoformat(rows["sp-2"]["period"]["start"]) == today
    assert datetime.fromisoformat(rows["sp-1"]["period"]["start"]) == today - timedelta(days=27)
