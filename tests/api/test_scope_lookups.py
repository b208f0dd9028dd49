"""The scope's lookups (collector/api/scope.py) answer an unknown organisation or service point, and another
organisation's service point, with one 404 problem that names what was asked for."""

from __future__ import annotations

from typing import Any

from collector.api.problems import MEDIA_TYPE, PROBLEM_TYPE_BASE
from tests.fixtures.fix_api import Api, make_key


def not_found(api: Api, path: str, token: str | None = None) -> dict[str, Any]:
    response = api.client.get(path, headers=api.headers(token))
    assert response.status_code == 404, response.text
    assert response.headers["content-type"] == MEDIA_TYPE
    body: dict[str, Any] = response.json()
    assert body["type"] == PROBLEM_TYPE_BASE + "not-found"
    assert body["status"] == 404
    return body


def test_an_unknown_organisation_is_a_404_naming_it(api: Api) -> None:
    body = not_found(api, "/v1/organisations/nowhere/opening-hours")
    assert body["title"].startswith("Organisation")
    assert "'nowhere'" in body["detail"]


def test_an_unknown_or_foreign_service_point_is_a_404_naming_it(api: Api) -> None:
    api.post("/v1/organisations", {"id": "a", "name": "Ente a"})
    api.post("/v1/organisations", {"id": "b", "name": "Ente b"})
    api.post("/v1/organisations/b/service-points", {"id": "b-sp", "name": "Sportello"})
    bound = make_key(api.database_url, "admin", org="a")
    for sp_id, token in (("nowhere-sp", None), ("b-sp", bound)):
        body = not_found(api, f"/v1/service-points/{sp_id}/opening-hours", token)
        assert body["title"].startswith("Service point")
        assert f"'{sp_id}'" in body["detail"]
    assert api.get("/v1/service-points/b-sp/opening-hours")  # the unbound admin finds it
