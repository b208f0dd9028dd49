"""The OpenAPI document tells the truth (issue 10, part 5): what schemathesis found, one case each, so a
regression names itself without a fuzzing run (tests/api/test_openapi_schemathesis.py runs that)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.fixtures.fix_api import Api


def _parameter(api: Api, path: str, name: str) -> dict[str, Any]:
    operation = api.client.get("/openapi.json").json()["paths"][path]["get"]
    schema: dict[str, Any] = next(p for p in operation["parameters"] if p["name"] == name)["schema"]
    return schema


def _alternatives(schema: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in schema.get("anyOf", [schema]) if s.get("type") != "null"]


@pytest.mark.parametrize("value", ["0", "0.5", "20261130", "2026-11-30 10:00:00+01:00", "1969-12-31", "3000-01-01"])
def test_dates_only_in_the_form_and_range_the_document_declares(api: Api, value: str) -> None:
    api.post("/v1/organisations", {"id": "roma", "name": "Roma Capitale"})
    api.post("/v1/organisations/roma/service-points", {"id": "sp", "name": "Sportello"})
    for path, template, name in (
        ("/v1/service-points/sp/summary", "/v1/service-points/{sp_id}/summary", "to"),
        ("/v1/organisations/roma/reasons/ranking", "/v1/organisations/{org}/reasons/ranking", "from"),
    ):
        response = api.client.get(path, params={name: value}, headers=api.headers())
        assert response.status_code == 422, (path, value, response.text)
        patterns = [s["pattern"] for s in _alternatives(_parameter(api, template, name))]
        assert patterns, "the document names the form"
        assert not any(re.fullmatch(p.strip("^$"), value) for p in patterns), "the document would accept it"


def test_the_extremes_the_document_allows_are_accepted(api: Api) -> None:
    api.post("/v1/organisations", {"id": "roma", "name": "Roma Capitale"})
    api.post("/v1/organisations/roma/service-points", {"id": "sp", "name": "Sportello"})
    summary = api.get("/v1/service-points/sp/summary", **{"from": "1970-01-01", "to": "2999-12-31T23:59:59+01:00"})
    assert summary["total"] == 0
    assert api.get("/v1/service-points/sp/hour-weekday", **{"from": "1970-01-01", "to": "2999-12-31"})["cells"]


def test_an_empty_cursor_is_refused_as_the_document_says(api: Api) -> None:
    api.post("/v1/organisations", {"id": "roma", "name": "Roma Capitale"})
    assert _parameter(api, "/v1/exports/counts", "cursor")["anyOf"][0]["minLength"] == 1
    response = api.client.get("/v1/exports/counts", params={"org": "roma", "cursor": ""}, headers=api.headers())
    assert response.status_code == 422


@pytest.mark.parametrize(
    ("path", "methods"),
    [
        ("/v1/keys", "GET, HEAD, POST"),
        ("/v1/organisations/roma/reasons", "GET, HEAD, PUT"),
        ("/v1/organisations/roma/targets/default", "DELETE, PUT"),
    ],
)
def test_405_names_every_method_of_the_path(api: Api, path: str, methods: str) -> None:
    response = api.client.request("PATCH", path, headers=api.headers())
    assert response.status_code == 405
    assert response.headers["allow"] == methods
    assert response.headers["content-type"] == "application/problem+json"


def test_a_body_that_is_not_utf8_is_a_documented_422(api: Api) -> None:
    headers = {**api.headers(), "Content-Type": "application/json"}
    response = api.client.post("/v1/organisations", content=b"\xff\xfe{", headers=headers)
    assert response.status_code == 422
    assert "UTF-8" in response.json()["detail"]
    documented = api.client.get("/openapi.json").json()["paths"]["/v1/organisations"]["post"]["responses"]
    assert "422" in documented
    assert "400" not in documented


def test_unknown_fields_and_booleans_for_numbers_are_refused(api: Api) -> None:
    api.post("/v1/organisations", {"id": "roma", "name": "Roma Capitale"})
    target = {"min_green_share": 0.8, "max_red_share": 0.1}
    for body in ({**target, "min_ratngs": 50}, {**target, "max_red_share": False}, {**target, "min_ratings": "30"}):
        response = api.client.put("/v1/organisations/roma/targets/default", json=body, headers=api.headers())
        assert response.status_code == 422, body
    assert api.put("/v1/organisations/roma/targets/default", {**target, "min_ratings": 30.0})["min_ratings"] == 30
    schema = api.client.get("/openapi.json").json()["components"]["schemas"]["TargetIn"]
    assert schema["additionalProperties"] is False


def test_time_zones_are_the_documented_ones(api: Api) -> None:
    documented = api.client.get("/openapi.json").json()["components"]["schemas"]["Organisation"]
    assert "Europe/Rome" in documented["properties"]["timezone"]["enum"]
    response = api.client.post(
        "/v1/organisations", json={"id": "x", "name": "X", "timezone": ""}, headers=api.headers()
    )
    assert response.status_code == 422
