"""The web rating page as a browser without JavaScript sees it: plain forms, posted as forms are."""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

import psycopg
import pytest

from tests.fixtures.fix_api import Api

SERVICE_POINT = "torino-anagrafe-web"


@pytest.fixture
def link(api: Api) -> dict[str, Any]:
    api.post("/v1/organisations", {"id": "torino", "name": "Città di Torino"})
    api.post("/v1/organisations/torino/service-points", {"id": SERVICE_POINT, "name": "Anagrafe online"})
    made: dict[str, Any] = api.post("/v1/organisations/torino/rating-links", {"service_point": SERVICE_POINT})
    return made


def path(link: dict[str, Any]) -> str:
    return f"/r/{link['id']}"


def form_key(html: str) -> str:
    found = re.search(r'name="k" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def stored(api: Api) -> list[tuple[Any, ...]]:
    with psycopg.connect(api.database_url) as conn:
        return conn.execute(
            "SELECT channel::text, face::text, reason, misuse, service_point_id FROM ratings ORDER BY received_at"
        ).fetchall()


def post(api: Api, link: dict[str, Any], **form: str) -> Any:
    return api.client.post(path(link), data=form, headers={"Accept-Language": "it"})


def test_italian_first_english_by_browser_or_switch(api: Api, link: dict[str, Any]) -> None:
    page = api.client.get(path(link))
    assert page.status_code == 200
    assert '<html lang="it">' in page.text
    assert "Come valuta il servizio ricevuto?" in page.text
    english = api.client.get(path(link), headers={"Accept-Language": "en-GB,en;q=0.9,it;q=0.5"})
    assert '<html lang="en">' in english.text
    assert "How would you rate the service you received?" in english.text
    switched = api.client.get(path(link), params={"lang": "en"}, headers={"Accept-Language": "it"})
    assert '<html lang="en">' in switched.text
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy
    scripts = re.findall(r"<script>(.*?)</script>", page.text, re.S)
    assert len(scripts) == 1  # one inline script, nothing fetched
    assert "<script src" not in page.text
    digest = base64.b64encode(hashlib.sha256(scripts[0].encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}';" in policy  # that script and no other
    assert "connect-src 'self'" in policy
    assert len(page.content) < 50_000
    assert not re.search(r'(src|href|action)="(https?:)?//', page.text)  # nothing from elsewhere


def test_the_plain_form_stores_one_web_rating_even_posted_twice(api: Api, link: dict[str, Any]) -> None:
    key = form_key(api.client.get(path(link)).text)
    first = post(api, link, k=key, face="positive", lang="it")
    assert first.status_code == 200
    assert "Grazie" in first.text
    again = post(api, link, k=key, face="positive", lang="it")
    assert again.status_code == 200
    assert stored(api) == [("web", "positive", None, False, SERVICE_POINT)]
    another_visit = form_key(api.client.get(path(link)).text)
    assert another_visit != key
    post(api, link, k=another_visit, face="neutral", lang="it")
    assert len(stored(api)) == 2


def test_red_is_counted_at_once_and_its_reason_added_after(api: Api, link: dict[str, Any]) -> None:
    key = form_key(api.client.get(path(link)).text)
    reasons = post(api, link, k=key, face="negative", lang="en")
    assert "Would you like to tell us why?" in reasons.text
    assert 'value="waiting-time"' in reasons.text
    assert stored(api) == [("web", "negative", None, False, SERVICE_POINT)]  # even if the citizen leaves now
    thanks = post(api, link, k=key, face="negative", step="reason", reason="waiting-time", lang="en")
    assert "Thank you!" in thanks.text
    post(api, link, k=key, face="negative", step="reason", reason="staff-courtesy", lang="en")  # once only
    assert stored(api) == [("web", "negative", "waiting-time", False, SERVICE_POINT)]
    ranking = api.get("/v1/organisations/torino/reasons/ranking", **{"from": "2020-01-01", "to": "2100-01-01"})
    assert {r["code"]: r["count"] for r in ranking["reasons"]}["waiting-time"] == 1
    summary = api.get(f"/v1/service-points/{SERVICE_POINT}/summary", **{"from": "2020-01-01", "to": "2100-01-01"})
    assert summary["counts"] == {"positive": 0, "neutral": 0, "negative": 1}


def test_a_form_that_is_not_ours_stores_nothing(api: Api, link: dict[str, Any]) -> None:
    key = form_key(api.client.get(path(link)).text)
    for form in (
        {"k": key, "face": "happy"},
        {"k": "short", "face": "positive"},
        {"face": "positive"},
        {"k": key, "face": "negative", "reason": "not-a-reason"},
    ):
        assert post(api, link, **form).status_code == 400
    assert stored(api) == []


def test_a_rotated_link_stops_working(api: Api, link: dict[str, Any]) -> None:
    key = form_key(api.client.get(path(link)).text)
    rotated = api.client.post(
        "/v1/organisations/torino/rating-links",
        json={"service_point": SERVICE_POINT, "rotate": True},
        headers=api.headers(),
    )
    assert rotated.status_code == 201
    new = rotated.json()
    assert new["id"] != link["id"]
    old = api.client.get(path(link))
    assert old.status_code == 404
    assert "non è più in uso" in old.text or "no longer" in old.text
    assert post(api, link, k=key, face="positive").status_code == 404
    assert api.client.get(path(new)).status_code == 200
    assert stored(api) == []
    listed = api.get("/v1/organisations/torino/rating-links")
    assert [item["id"] for item in listed] == [new["id"]]


def test_over_the_limit_the_rating_is_kept_as_misuse_and_no_address_is_stored(api: Api, link: dict[str, Any]) -> None:
    for _ in range(5):  # one client (the test client's address), a fresh page each time
        key = form_key(api.client.get(path(link)).text)
        assert "Grazie" in post(api, link, k=key, face="positive").text  # the citizen is thanked all the same
    assert [misuse for _, _, _, misuse, _ in stored(api)] == [False, False, False, True, True]
    summary = api.get(f"/v1/service-points/{SERVICE_POINT}/summary", **{"from": "2020-01-01", "to": "2100-01-01"})
    assert (summary["counts"]["positive"], summary["misuse"]) == (3, 2)
    client = "testclient"  # what Starlette's TestClient gives as the client's address
    with psycopg.connect(api.database_url) as conn:
        tables = [r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        for table in tables:
            for row in conn.execute(f'SELECT * FROM "{table}"'.encode()):  # noqa: S608 - names from the catalogue
                assert client not in str(row), (table, row)


def test_embedding_is_allowed_per_organisation(api: Api, link: dict[str, Any]) -> None:
    api.put("/v1/organisations/torino/web-embedding", {"frame_ancestors": ["https://www.comune.torino.it"]})
    policy = api.client.get(path(link)).headers["content-security-policy"]
    assert "frame-ancestors https://www.comune.torino.it" in policy
    bad = api.client.put(
        "/v1/organisations/torino/web-embedding", json={"frame_ancestors": ["*"]}, headers=api.headers()
    )
    assert bad.status_code == 422
    assert '<iframe src="' in link["embed"]


def test_the_poster_of_a_link_for_the_board_to_offer(api: Api, link: dict[str, Any]) -> None:
    response = api.client.get(
        f"/v1/organisations/torino/rating-links/{link['id']}/poster.pdf",
        params={"size": "A5", "lang": "en"},
        headers=api.headers(api.reader),
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert f"poster-{SERVICE_POINT}.pdf" in response.headers["content-disposition"]
    gone = api.client.get(
        "/v1/organisations/torino/rating-links/nosuchlink0123456789ab/poster.pdf", headers=api.headers()
    )
    assert gone.status_code == 404
