"""Improvement actions: green and red before and after, equal windows of the same weekdays, opening hours only,
checked against a hand computation (Wilson intervals, Newcombe's hybrid score difference), with "not enough data"
while a window is thin, and their place in the monthly report."""

from __future__ import annotations

import asyncio
import math
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg
import pytest

from collector.store import effects
from tests.api.known_data import many, store
from tests.fixtures.fix_api import Api

ROME = ZoneInfo("Europe/Rome")
Z = 1.959963984540054
STAMP = "%Y-%m-%dT%H:%M:%S.%fZ"


def wilson(k: int, n: int) -> tuple[float, float]:
    p = k / n
    centre, half = p + Z * Z / (2 * n), Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n))
    return (centre - half) / (1 + Z * Z / n), (centre + half) / (1 + Z * Z / n)


def newcombe(k1: int, n1: int, k2: int, n2: int) -> tuple[float, float, float]:
    """k1/n1 - k2/n2 and its 95% interval, Newcombe (1998) method 10, written out by hand."""
    p1, p2 = k1 / n1, k2 / n2
    (l1, u1), (l2, u2) = wilson(k1, n1), wilson(k2, n2)
    d = p1 - p2
    return d, d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)


def test_the_sql_difference_matches_newcombes_published_example(api: Api) -> None:
    async def run() -> list[tuple[float, float] | None]:
        async with await psycopg.AsyncConnection.connect(api.database_url) as conn:
            return await effects.differences(conn, [(56, 70, 48, 80), (3, 10, 0, 0), (9, 10, 3, 10)])

    published, empty, other = asyncio.run(run())
    assert published is not None
    assert other is not None
    assert published == pytest.approx((0.0524, 0.3339), abs=5e-5)  # Newcombe 1998, Table II, method 10
    assert empty is None
    assert other == pytest.approx(newcombe(9, 10, 3, 10)[1:], abs=1e-12)


def local(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=ROME)


def test_before_and_after_match_a_hand_computation(api: Api) -> None:
    today = datetime.now(ROME).date()
    first = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    taken = first + timedelta(days=-first.weekday() % 7)  # last month's first Monday: both windows are over
    tuesday_before, tuesday_after = taken - timedelta(days=6), taken + timedelta(days=1)
    store(api.database_url, [
        *many(local(tuesday_before, 10), {"positive": 30, "neutral": 0, "negative": 10}),
        *many(local(tuesday_before, 15), {"negative": 50}),  # closed in the afternoon: not counted
        *many(local(taken - timedelta(days=2), 10), {"negative": 20}),  # a Saturday: closed
        *many(local(taken - timedelta(days=8), 10), {"negative": 20}),  # before the before window
        *many(local(tuesday_after, 10), {"positive": 45, "neutral": 3, "negative": 2}),
        *many(local(tuesday_after, 16), {"negative": 40}),  # closed
        *many(local(taken + timedelta(days=8), 10), {"negative": 20}),  # after the after window
        *many(local(tuesday_after, 10), {"positive": 5, "negative": 5}, service_point="sp-2"),
    ])  # fmt: skip
    api.put("/v1/organisations/org/opening-hours", {"service_point": "sp-1", "weekly": {
        d: ["09:00-13:00"] for d in ("mon", "tue", "wed", "thu", "fri")}})  # fmt: skip
    body = {"service_point": "sp-1", "taken_on": taken.isoformat(), "role": "responsabile ufficio",
            "description": "Eliminacode con prenotazione", "expected_effect": "meno attesa",
            "window_days": 7}  # fmt: skip
    created = api.post("/v1/organisations/org/actions", body)
    effect = created["effect"]
    before, after = effect["before"], effect["after"]
    assert before["start"] == (local(taken, 0) - timedelta(days=7)).astimezone(UTC).strftime(STAMP)
    assert after["end"] == local(taken + timedelta(days=7), 0).astimezone(UTC).strftime(STAMP)
    assert effect["complete"]
    assert effect["opening_hours_known"]
    assert (before["ratings"], before["positive"], before["neutral"], before["negative"]) == (40, 30, 0, 10)
    assert (after["ratings"], after["positive"], after["neutral"], after["negative"]) == (50, 45, 3, 2)
    assert before["green"]["share"] == 30 / 40
    assert after["red"]["share"] == 2 / 50
    assert (after["green"]["low"], after["green"]["high"]) == pytest.approx(wilson(45, 50), abs=1e-12)
    green, red = effect["green_change"], effect["red_change"]
    assert (green["difference"], green["low"], green["high"]) == pytest.approx(newcombe(45, 50, 30, 40), abs=1e-12)
    assert (red["difference"], red["low"], red["high"]) == pytest.approx(newcombe(2, 50, 10, 40), abs=1e-12)
    assert green["low"] < 0 < green["high"]  # green alone: not clear
    assert red["high"] < 0  # red clearly down
    assert effect["verdict"] == "improved"
    assert effect["verdict_text"] == {"it": "migliorato", "en": "improved"}

    thin = api.post("/v1/organisations/org/actions", {**body, "service_point": "sp-2"})
    assert thin["effect"]["before"]["ratings"] == 0
    assert thin["effect"]["after"]["ratings"] == 10
    assert thin["effect"]["green_change"] is None
    assert thin["effect"]["verdict"] == "not_enough_data"

    running = api.post("/v1/organisations/org/actions", {**body, "taken_on": today.isoformat()})
    assert not running["effect"]["complete"]
    assert running["effect"]["verdict"] == "not_enough_data"

    listed = api.get("/v1/organisations/org/actions", api.reader)
    assert [a["id"] for a in listed] == [running["id"], thin["id"], created["id"]]
    assert api.get("/v1/organisations/org/actions", api.reader, service_point="sp-2") == [thin]
    assert api.get(f"/v1/organisations/org/actions/{created['id']}", api.reader) == created

    report = api.get("/v1/organisations/org/reports/monthly", api.reader, month=f"{taken:%Y-%m}")
    assert {(a["service_point"], a["day"], a["verdict"]) for a in report["actions"]} == {
        ("sp-1", taken.isoformat(), "improved"), ("sp-2", taken.isoformat(), "not_enough_data")}  # fmt: skip
    (mine,) = [a for a in report["actions"] if a["verdict"] == "improved"]
    assert (mine["green_before"], mine["green_after"]) == (30 / 40, 45 / 50)
    assert (mine["red_before"], mine["red_after"]) == (10 / 40, 2 / 50)
    assert mine["green_change"] == pytest.approx(list(newcombe(45, 50, 30, 40)), abs=1e-12)
    assert mine["red_change"] == pytest.approx(list(newcombe(2, 50, 10, 40)), abs=1e-12)

    response = api.client.delete(f"/v1/organisations/org/actions/{thin['id']}", headers=api.headers())
    assert response.status_code == 204
    assert api.client.get(f"/v1/organisations/org/actions/{thin['id']}", headers=api.headers()).status_code == 404


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"taken_on": "2026-10-05", "role": "responsabile", "description": "x"}, "service_point"),
        ({"service_point": "sp-1", "service": None, "taken_on": "2026-10-05", "role": "r", "description": "x"},
         "never null"),
        ({"service_point": "sp-1", "taken_on": "2026-10-05", "role": " ", "description": "x"}, "role"),
        ({"service_point": "sp-1", "taken_on": "2026-13-05", "role": "r", "description": "x"}, "taken_on"),
        ({"service_point": "sp-1", "taken_on": "2026-10-05", "role": "r", "description": "x", "window_days": 10},
         "window_days"),
        ({"service_point": "sp-1", "taken_on": "2026-10-05", "role": "r", "description": "x", "who": "Mario Rossi"},
         "who"),
    ],
)  # fmt: skip
def test_a_bad_action_is_refused_clearly(api: Api, body: dict[str, object], expected: str) -> None:
    store(api.database_url, many(datetime.now(UTC) - timedelta(days=1), {"positive": 1}))
    response = api.client.post("/v1/organisations/org/actions", json=body, headers=api.headers())
    assert response.status_code == 422, response.text
    assert expected in response.text


def test_an_action_elsewhere_is_not_found(api: Api) -> None:
    store(api.database_url, many(datetime.now(UTC) - timedelta(days=1), {"positive": 1}))
    store(api.database_url, many(datetime.now(UTC) - timedelta(days=1), {"positive": 1}, service_point="sp-x",
                                 kiosk="k-x"), org="other")  # fmt: skip
    body = {"service_point": "sp-x", "taken_on": "2026-10-05", "role": "r", "description": "x"}
    response = api.client.post("/v1/organisations/org/actions", json=body, headers=api.headers())
    assert response.status_code == 404, response.text
    elsewhere = {"service": "nowhere", "taken_on": "2026-10-05", "role": "r", "description": "x"}
    response = api.client.post("/v1/organisations/org/actions", json=elsewhere, headers=api.headers())
    assert response.status_code == 404, response.text
    theirs = api.post("/v1/organisations/other/actions", body)
    for method in ("GET", "DELETE"):
        response = api.client.request(method, f"/v1/organisations/org/actions/{theirs['id']}", headers=api.headers())
        assert response.status_code == 404, response.text
