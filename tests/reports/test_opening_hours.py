"""Opening hours: DST-correct instants, the precedence of service point, site and organisation, exceptions,
through the store function alerts and reports use, the API and the operator's CLI."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import psycopg
import pytest

from collector.insight import schedule
from collector.store import opening_hours
from collector.store.scope import EVERYWHERE
from tests.fixtures.fix_api import Api
from tests.reports.history import ROME, local, register

WEEK = {"mon": ["08:30-12:30", "14:00-16:00"], "tue": ["08:30-12:30"], "wed": ["08:30-12:30"],
        "thu": ["08:30-12:30"], "fri": ["08:30-12:30"], "sun": ["01:00-04:00"]}  # fmt: skip


def test_dst_days_have_real_hours() -> None:
    sunday = schedule.Schedule({7: ((60, 240),)})
    # 2026-10-25: clocks go back at 03:00 CEST; 01:00-04:00 local lasts four real hours.
    assert schedule.open_minutes(sunday, local(2026, 10, 25), local(2026, 10, 26), ROME) == 240
    # 2026-03-29: clocks go forward at 02:00; 01:00-04:00 lasts two.
    assert schedule.open_minutes(sunday, local(2026, 3, 29), local(2026, 3, 30), ROME) == 120
    whole = schedule.Schedule({d: ((0, 1440),) for d in range(1, 8)})
    assert schedule.open_minutes(whole, local(2026, 10, 1), local(2026, 11, 1), ROME) == (31 * 24 + 1) * 60
    periods = schedule.open_periods(whole, local(2026, 10, 24), local(2026, 10, 26), ROME)
    assert periods == [(local(2026, 10, 24).astimezone(UTC), local(2026, 10, 26).astimezone(UTC))]  # merged


def test_parsing_refuses_what_is_not_a_day() -> None:
    assert schedule.parse_intervals("08:30-12:30, 14:00-24:00") == ((510, 750), (840, 1440))
    assert schedule.parse_intervals("closed") == ()
    for bad in ("08:30", "12:00-08:00", "08:00-12:00,11:00-13:00", "25:00-26:00", "8:30-12:30"):
        with pytest.raises(ValueError):  # noqa: PT011
            schedule.parse_intervals(bad)


async def _open(url: str, sp: str, a: datetime, b: datetime) -> tuple[float | None, bool | None]:
    async with await psycopg.AsyncConnection.connect(url) as conn:
        minutes = (await opening_hours.open_minutes(conn, [sp], a, b, scope=EVERYWHERE))[sp]
        return minutes, await opening_hours.was_open(conn, sp, a, b)


def test_precedence_and_exceptions_through_the_api(api: Api) -> None:
    register(api)
    url = api.database_url
    assert asyncio.run(_open(url, "roma-centro-1", local(2026, 12, 21), local(2026, 12, 28))) == (None, None)
    api.put("/v1/organisations/roma/opening-hours", {"weekly": {"mon": ["09:00-13:00"]},
            "exceptions": [{"date": "2026-12-25", "hours": [], "note": "Natale"}]})  # fmt: skip
    api.put("/v1/organisations/roma/opening-hours", {"site": "roma-centro", "weekly": WEEK,
            "exceptions": [{"date": "2026-12-24", "hours": ["08:30-11:00"], "note": "Vigilia"}]})  # fmt: skip
    # Week of Christmas 2026 (Monday 21): the site's pattern, Thursday 24 shorter, Friday 25 closed by the
    # organisation's exception, Sunday 01:00-04:00.
    minutes, was = asyncio.run(_open(url, "roma-centro-1", local(2026, 12, 21), local(2026, 12, 28)))
    assert minutes == (6 * 60) + 4 * 60 + 4 * 60 + 150 + 0 + 3 * 60
    assert was is True
    assert asyncio.run(_open(url, "roma-centro-1", local(2026, 12, 25), local(2026, 12, 26)))[1] is False
    assert asyncio.run(_open(url, "roma-centro-1", local(2026, 12, 21, 12, 30), local(2026, 12, 21, 14)))[1] is False
    # A service point of another site has the organisation's pattern; one with its own pattern, its own.
    assert asyncio.run(_open(url, "roma-eur-1", local(2026, 12, 21), local(2026, 12, 28)))[0] == 4 * 60
    api.put("/v1/organisations/roma/opening-hours", {"service_point": "roma-eur-1", "weekly": {"sat": ["09:00-12:00"]}})
    assert asyncio.run(_open(url, "roma-eur-1", local(2026, 12, 21), local(2026, 12, 28)))[0] == 3 * 60
    got = api.get(
        "/v1/service-points/roma-centro-1/opening-hours", api.reader, **{"from": "2026-12-21", "to": "2026-12-28"}
    )
    assert got["known"] is True
    assert got["open_minutes"] == minutes
    # 08:30-12:30 in Rome (CET) on Monday 21 December.
    assert got["periods"][0] == {"start": "2026-12-21T07:30:00.000000Z", "end": "2026-12-21T11:30:00.000000Z"}
    listed = api.get("/v1/organisations/roma/opening-hours")
    assert [(h["scope"], h["scope_id"]) for h in listed] == [
        ("organisation", ""),
        ("site", "roma-centro"),
        ("service_point", "roma-eur-1"),
    ]
    assert listed[1]["weekly"]["mon"] == ["08:30-12:30", "14:00-16:00"]
    assert listed[0]["exceptions"] == [{"date": "2026-12-25", "hours": [], "note": "Natale"}]
    twice = [{"date": "2026-12-25", "hours": []}, {"date": "2026-12-25", "hours": []}]
    for bad in (
        {"weekly": {"mon": ["12:00-08:00"]}},
        {"weekly": {"mon": ["08:00-12:00", "11:00-13:00"]}},
        {"weekly": {"funday": ["08:00-12:00"]}},
        {"site": "roma-centro", "service_point": "roma-web", "weekly": {}},
        {"weekly": {}, "exceptions": twice},
    ):
        response = api.client.put("/v1/organisations/roma/opening-hours", json=bad, headers=api.headers())
        assert response.status_code == 422, bad
    response = api.client.put(
        "/v1/organisations/roma/opening-hours", json={"site": "elsewhere", "weekly": {}}, headers=api.headers()
    )
    assert response.status_code == 404


def test_the_month_report_shows_hours_open(api: Api) -> None:
    register(api)
    api.put(
        "/v1/organisations/roma/opening-hours",
        {"weekly": {d: ["08:00-14:00"] for d in ("mon", "tue", "wed", "thu", "fri")}},
    )
    got = api.get("/v1/organisations/roma/reports/monthly", month="2026-10")
    hours = {r["key"]: r["open_hours"] for r in got["service_points"]}
    weekdays = sum(1 for d in range(31) if (date(2026, 10, 1) + timedelta(days=d)).weekday() < 5)
    assert set(hours.values()) == {weekdays * 6}
