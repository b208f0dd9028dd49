"""Keys, roles, rate limits and the reader resolution: 401 vs 403 vs 404 vs 429, problem+json everywhere."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from fastapi.testclient import TestClient

from collector.api.app import create_app
from collector.api.problems import PROBLEM_TYPE_BASE
from tests.api.known_data import many, store
from tests.fixtures.fix_api import Api, api_settings, make_key

PROBLEM = "application/problem+json"


def test_health_is_open(api: Api) -> None:
    assert api.client.get("/healthz").status_code == 200


def test_missing_and_bad_keys_are_401_with_a_challenge(api: Api) -> None:
    for headers in ({}, {"Authorization": "Bearer nonsense"}, {"Authorization": "Bearer mlf_aaaaaaaaaaaa_" + "x" * 43}):
        response = api.client.get("/v1/overview", headers=headers)
        assert response.status_code == 401
        assert response.headers["content-type"] == PROBLEM
        # RFC 6750: no error code when no credentials came; `invalid_token` for credentials that do not hold.
        error = ', error="invalid_token"' if headers else ""
        assert response.headers["www-authenticate"] == f'Bearer realm="mettiamoci-la-faccia"{error}'
        assert response.json()["type"].endswith("/unauthorized")
        assert ("API key" if headers else "Bearer") in response.json()["detail"]


def test_right_id_wrong_secret_is_401(api: Api) -> None:
    key_id = api.reader.split("_")[1]
    forged = f"mlf_{key_id}_{'A' * 43}"
    assert api.client.get("/v1/overview", headers=api.headers(forged)).status_code == 401


def test_wrong_role_is_403(api: Api) -> None:
    ingest = make_key(api.database_url, "ingest")
    response = api.client.get("/v1/overview", headers=api.headers(ingest))
    assert response.status_code == 403
    assert "role admin or reader" in response.json()["detail"]
    response = api.client.post("/v1/organisations", json={"id": "x", "name": "X"}, headers=api.headers(api.reader))
    assert response.status_code == 403
    assert response.headers["content-type"] == PROBLEM


def test_revoked_key_stops_working(api: Api) -> None:
    created = api.post("/v1/keys", {"name": "bi", "role": "reader"})
    assert created["token"].startswith(f"mlf_{created['id']}_")
    assert api.client.get("/v1/overview", headers=api.headers(created["token"])).status_code == 200
    assert api.client.delete(f"/v1/keys/{created['id']}", headers=api.headers()).status_code == 204
    assert api.client.get("/v1/overview", headers=api.headers(created["token"])).status_code == 401
    listed = {k["id"]: k for k in api.get("/v1/keys")}
    assert listed[created["id"]]["revoked_at"] is not None
    assert all("token" not in k for k in listed.values())


def test_no_secret_at_rest(api: Api) -> None:
    created = api.post("/v1/keys", {"name": "bi", "role": "reader"})
    secret = created["token"].split("_", 2)[2]
    with psycopg.connect(api.database_url) as conn:
        dump = "".join(str(row) for row in conn.execute("SELECT * FROM api_keys"))
    assert secret not in dump
    assert created["token"] not in dump


def test_rate_limit_is_429_with_retry_after(database_url: str) -> None:
    app = create_app(api_settings(database_url).model_copy(update={"rate_limit": "3/minute"}))
    token, other = make_key(database_url, "reader"), make_key(database_url, "reader")
    with TestClient(app) as client:
        codes = [
            client.get("/v1/organisations", headers={"Authorization": f"Bearer {token}"}).status_code for _ in range(4)
        ]
        assert codes == [200, 200, 200, 429]
        assert client.get("/v1/organisations", headers={"Authorization": f"Bearer {other}"}).status_code == 200
        response = client.get("/v1/organisations", headers={"Authorization": f"Bearer {token}"})
        assert response.headers["content-type"] == PROBLEM
        assert 1 <= int(response.headers["retry-after"]) <= 60


def test_failed_authentications_are_rate_limited_per_address(database_url: str) -> None:
    app = create_app(api_settings(database_url).model_copy(update={"auth_failure_limit": "2/minute"}))
    bad = {"Authorization": "Bearer nonsense"}
    with TestClient(app) as client:
        # No key and a bad key are failures of one address alike.
        codes = [client.get("/v1/overview", headers=headers).status_code for headers in ({}, bad, {})]
        assert codes == [401, 401, 429]
        # Another address, and a request with none (a Unix socket), are not held back by that one.
        elsewhere = TestClient(app, client=("192.0.2.7", 50000))
        nowhere = TestClient(app, client=None)  # type: ignore[arg-type]
        assert [elsewhere.get("/v1/overview").status_code for _ in range(3)] == [401, 401, 429]
        assert [nowhere.get("/v1/overview").status_code for _ in range(3)] == [401, 401, 429]


def test_key_bound_to_an_organisation_sees_only_it(api: Api) -> None:
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
    store(api.database_url, many(now, {"positive": 3}, service_point="a-1", kiosk="ka"), org="a")
    store(api.database_url, many(now, {"positive": 3}, service_point="b-1", kiosk="kb"), org="b")
    token = make_key(api.database_url, "reader", org="a")
    rows = api.get("/v1/overview", token)["rows"]
    assert [r["service_point"] for r in rows] == ["a-1"]
    assert api.client.get("/v1/overview?org=b", headers=api.headers(token)).status_code == 403
    assert api.client.get("/v1/service-points/b-1/summary", headers=api.headers(token)).status_code == 404
    assert [o["id"] for o in api.get("/v1/organisations", token)] == ["a"]
    assert [k["id"] for k in api.get("/v1/kiosks", token)] == ["ka"]


def test_reader_never_sees_the_open_hour_or_sub_hour_periods(api: Api) -> None:
    now = datetime.now(UTC)
    if now.minute == 59:  # keep the whole test inside one hour
        time.sleep(61 - now.second)
        now = datetime.now(UTC)
    hour = now.replace(minute=0, second=0, microsecond=0)
    # One vote in the current (open) hour, three in the previous, complete one.
    store(api.database_url, many(hour - timedelta(minutes=50), {"positive": 3}))
    store(api.database_url, [*many(min(now, hour + timedelta(seconds=1)), {"negative": 1})])
    admin = api.get("/v1/service-points/sp-1/summary", **{"from": (hour - timedelta(hours=1)).isoformat()})
    assert admin["total"] == 4
    reader = api.get("/v1/service-points/sp-1/summary", api.reader, **{"from": (hour - timedelta(hours=1)).isoformat()})
    assert reader["total"] == 3
    assert datetime.fromisoformat(reader["end"]) == hour
    response = api.client.get(
        "/v1/service-points/sp-1/summary",
        params={"from": (hour - timedelta(minutes=30)).isoformat()},
        headers=api.headers(api.reader),
    )
    assert response.status_code == 403
    assert "whole hours" in response.json()["detail"]
    # Only the open hour: clipped to nothing, an empty answer (not an error, not the open hour's vote).
    open_hour = api.get("/v1/service-points/sp-1/summary", api.reader, **{"from": hour.isoformat()})
    assert open_hour["total"] == 0
    assert open_hour["start"] == open_hour["end"]
    overview = api.get("/v1/overview", api.reader)["rows"][0]
    assert overview["total"] == 3
    hours = api.get("/v1/service-points/sp-1/series", api.reader, grain="hour")["buckets"]
    assert sum(b["total"] for b in hours) == 3
    assert datetime.fromisoformat(hours[-1]["end"]) <= hour
    assert api.client.get("/v1/exports/ratings?org=org", headers=api.headers(api.reader)).status_code == 403


def test_day_resolution_refuses_hourly_views_to_readers(database_url: str) -> None:
    app = create_app(api_settings(database_url, reader_resolution="day"))
    token = make_key(database_url, "reader")
    store(database_url, many(datetime.now(UTC) - timedelta(days=2), {"positive": 2}))
    with TestClient(app) as client:
        headers = {"Authorization": f"Bearer {token}"}
        assert client.get("/v1/service-points/sp-1/series?grain=hour", headers=headers).status_code == 403
        assert client.get("/v1/service-points/sp-1/hour-weekday", headers=headers).status_code == 403
        assert client.get("/v1/service-points/sp-1/series?grain=day", headers=headers).status_code == 200
        lines = client.get("/v1/exports/counts?org=org&format=csv", headers=headers).text.splitlines()
        assert lines[0].startswith("start,end,")
        assert all(line.split(",")[0].endswith(("T22:00:00Z", "T23:00:00Z")) for line in lines[1:])


def not_found(api: Api, path: str, token: str | None = None) -> dict[str, Any]:
    response = api.client.get(path, headers=api.headers(token))
    assert response.status_code == 404, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["type"] == PROBLEM_TYPE_BASE + "not-found"
    assert body["status"] == 404
    return body


def test_an_unknown_organisation_is_a_404_naming_it(api: Api) -> None:
    """The scope's lookup (collector/api/scope.py) behind every route under /v1/organisations/{org}."""
    body = not_found(api, "/v1/organisations/nowhere/opening-hours")
    assert body["title"].startswith("Organisation")
    assert "'nowhere'" in body["detail"]


def test_an_unknown_or_foreign_service_point_is_a_404_naming_it(api: Api) -> None:
    """To a key bound to another organisation, a service point is as unknown as one that does not exist."""
    api.post("/v1/organisations", {"id": "a", "name": "Ente a"})
    api.post("/v1/organisations", {"id": "b", "name": "Ente b"})
    api.post("/v1/organisations/b/service-points", {"id": "b-sp", "name": "Sportello"})
    bound = make_key(api.database_url, "admin", org="a")
    for sp_id, token in (("nowhere-sp", None), ("b-sp", bound)):
        body = not_found(api, f"/v1/service-points/{sp_id}/opening-hours", token)
        assert body["title"].startswith("Service point")
        assert f"'{sp_id}'" in body["detail"]
    assert api.get("/v1/service-points/b-sp/opening-hours")  # the unbound admin finds it


def test_a_key_cannot_revoke_itself(api: Api) -> None:
    key_id = api.admin.split("_")[1]
    response = api.client.delete(f"/v1/keys/{key_id}", headers=api.headers())
    assert response.status_code == 409, response.text
    assert api.get("/v1/organisations") == []
