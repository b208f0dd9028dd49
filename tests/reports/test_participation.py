"""Citizens served and the participation rate: posts, corrections, refusals that store nothing, and the rate
over the same periods and services as its ratings, in the report, the overview and a service point's summary."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.fixtures.fix_api import Api, make_key
from tests.reports.history import ORG, History, faces, local

URL = f"/v1/organisations/{ORG}/citizens-served"
DAYS = [f"2026-10-{d:02d}" for d in range(5, 10)]  # five days of October, 5 to 9


def post(api: Api, body: object, token: str | None = None, status: int = 200) -> dict[str, Any]:
    response = api.client.post(URL, json=body, headers=api.headers(token))
    assert response.status_code == status, response.text
    result: dict[str, Any] = response.json()
    return result


def stored(api: Api) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = api.get(URL, **{"from": "2026-09-01", "to": "2026-11-01"})
    return rows


def test_the_rate_divides_the_ratings_of_the_posted_days(month_api: tuple[Api, History]) -> None:
    api, history = month_api
    poster = make_key(api.database_url, "served", org=ORG, name="queue tickets")
    body = [{"service_point": "roma-centro-1", "day": day, "served": 100} for day in DAYS]
    assert post(api, body, poster) == {"created": 5, "corrected": 0, "unchanged": 0}
    assert post(api, body, poster) == {"created": 0, "corrected": 0, "unchanged": 5}  # idempotent
    rated = sum(faces(history.presses, local(2026, 10, 5), local(2026, 10, 10), service_point="roma-centro-1").values())
    total = sum(faces(history.presses, local(2026, 10, 1), local(2026, 11, 1), service_point="roma-centro-1").values())
    report = api.get(f"/v1/organisations/{ORG}/reports/monthly", month="2026-10")
    row = next(r for r in report["service_points"] if r["key"] == "roma-centro-1")
    assert row["participation"] == {"served": 500, "rated": rated, "rate": rated / 500, "coverage": rated / total}
    assert report["overall"]["participation"]["served"] == 500
    assert report["overall"]["participation"]["rated"] == rated
    site = next(r for r in report["sites"] if r["key"] == "roma-centro")
    assert site["participation"]["rate"] == pytest.approx(rated / 500)
    for other in ("roma-eur-1", "roma-web"):  # nothing posted: unknown, never zero
        assert next(r for r in report["service_points"] if r["key"] == other)["participation"]["rate"] is None
    # Posts for all services cannot be split by service: a service's rate stays unknown.
    assert all(r["participation"]["rate"] is None for r in report["services"])

    # A correction changes the rate; its time and the number it replaced are kept.
    assert post(api, [{"service_point": "roma-centro-1", "day": DAYS[0], "served": 50}], poster)["corrected"] == 1
    report = api.get(f"/v1/organisations/{ORG}/reports/monthly", month="2026-10")
    row = next(r for r in report["service_points"] if r["key"] == "roma-centro-1")
    assert row["participation"]["served"] == 450
    assert row["participation"]["rate"] == pytest.approx(rated / 450)
    first = next(r for r in stored(api) if r["start"].startswith("2026-10-04T22:00"))
    assert (first["served"], first["previous_served"], first["corrections"]) == (50, 100, 1)
    assert first["corrected_at"] is not None

    # The summary and the overview say the same over those days (whole days, local time).
    period = {"from": "2026-10-05", "to": "2026-10-10"}
    summary = api.get("/v1/service-points/roma-centro-1/summary", **period)
    assert summary["participation"]["served"] == 450
    assert summary["participation"]["rated"] == summary["total"] == rated
    overview = {r["service_point"]: r for r in api.get("/v1/overview", org=ORG, **period)["rows"]}
    assert overview["roma-centro-1"]["participation"]["rate"] == pytest.approx(rated / 450)
    assert overview["roma-eur-1"]["participation"] == {"served": None, "rated": 0, "rate": None, "coverage": None}
    # A period that holds none of the posted days in whole knows no rate.
    partial = api.get("/v1/service-points/roma-centro-1/summary", **{"from": "2026-10-05T12:00:00+02:00",
                      "to": "2026-10-05T18:00:00+02:00"})  # fmt: skip
    assert partial["participation"]["rate"] is None


def test_per_service_and_hourly_posts(month_api: tuple[Api, History]) -> None:
    api, history = month_api
    hours = [local(2026, 10, 12, h) for h in range(8, 18)]
    body = [
        {"service_point": "roma-centro-2", "service": "anagrafe", "hour": h.isoformat(), "served": 6} for h in hours
    ]
    post(api, body)
    rated = sum(
        faces(history.presses, hours[0], hours[-1] + timedelta(hours=1), service_point="roma-centro-2",
              service="anagrafe").values()
    )  # fmt: skip
    report = api.get(f"/v1/organisations/{ORG}/reports/monthly", month="2026-10")
    service = next(r for r in report["services"] if r["key"] == "anagrafe")
    assert service["participation"]["served"] == 60
    assert service["participation"]["rated"] == rated
    point = next(r for r in report["service_points"] if r["key"] == "roma-centro-2")
    assert point["participation"]["served"] == 60  # the point's rate rests on what was posted for it


def test_refused_batches_store_nothing(month_api: tuple[Api, History]) -> None:
    api, _ = month_api
    before = stored(api)
    good = {"service_point": "roma-eur-1", "day": "2026-10-20", "served": 40}
    overlapping = {"service_point": "roma-eur-1", "hour": "2026-10-20T10:00:00+02:00", "served": 4}
    problem = post(api, [good, overlapping], status=409)
    assert "item 2" in problem["detail"]
    assert "counted twice" in problem["detail"]
    post(api, [{"service_point": "roma-centro-1", "service": "tributi", "day": DAYS[1], "served": 3}], status=409)
    assert "item 1" in post(api, [{"service_point": "nowhere", "day": "2026-10-20", "served": 1}], status=404)["detail"]
    post(api, [{"service_point": "roma-eur-1", "service": "ghost", "day": "2026-10-20", "served": 1}], status=422)
    post(api, [{"service_point": "roma-eur-1", "day": "2999-01-01", "served": 1}], status=422)
    post(api, [{"service_point": "roma-eur-1", "hour": "2026-10-20T10:30:00+02:00", "served": 1}], status=422)
    post(api, [{"service_point": "roma-eur-1", "day": "2026-10-20", "hour": "2026-10-20T10:00:00Z", "served": 1}],
         status=422)  # fmt: skip
    post(api, [{"service_point": "roma-eur-1", "day": "2026-10-20", "served": -1}], status=422)
    assert stored(api) == before
    # A key of the served role posts, and does nothing else.
    poster = make_key(api.database_url, "served", org=ORG)
    assert api.client.get("/v1/overview", headers=api.headers(poster)).status_code == 403
    assert api.client.post(URL, json=[good], headers=api.headers(api.reader)).status_code == 403


def test_the_25_hour_day(month_api: tuple[Api, History]) -> None:
    """2026-10-25 in Rome lasts 25 hours: a post for that day covers all of them, both 02:30 included."""
    api, history = month_api
    post(api, [{"service_point": "roma-centro-2", "day": "2026-10-25", "served": 40}])
    (row,) = [r for r in stored(api) if r["service_point"] == "roma-centro-2" and r["grain"] == "day"]
    start, end = (datetime.fromisoformat(row[k]) for k in ("start", "end"))
    assert (end - start) == timedelta(hours=25)
    summary = api.get("/v1/service-points/roma-centro-2/summary", **{"from": "2026-10-25", "to": "2026-10-26"})
    want = sum(faces(history.presses, local(2026, 10, 25), local(2026, 10, 26), service_point="roma-centro-2").values())
    assert summary["participation"]["served"] == 40
    assert summary["participation"]["rated"] == summary["total"] == want
    assert want >= 2  # the two presses at 02:30, one in each of that night's 02:00 hours
