"""The channel ratings API: no kiosk fields, idempotent by key, each refused item a problem naming its fault."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from tests.fixtures.fix_api import Api, make_key

URL = "/v1/organisations/torino/channel-ratings"
PERIOD = {"from": "2020-01-01", "to": "2100-01-01"}


@pytest.fixture
def torino(api: Api) -> Api:
    api.post("/v1/organisations", {"id": "torino", "name": "Città di Torino"})
    for sp in ("torino-telefono", "torino-web"):
        api.post("/v1/organisations/torino/service-points", {"id": sp, "name": sp})
    api.post("/v1/organisations/torino/services", {"id": "anagrafe", "name": "Anagrafe"})
    return api


def rows(api: Api, query: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(api.database_url) as conn:
        return conn.execute(query.encode()).fetchall()


def test_one_phone_rating_then_the_same_again(torino: Api) -> None:
    token = make_key(torino.database_url, "ingest", org="torino", service_point="torino-telefono")
    body = {"service_point": "torino-telefono", "face": "negative", "reason": "waiting-time", "channel": "phone"}
    headers = {**torino.headers(token), "Idempotency-Key": "call-CA42"}
    first = torino.client.post(URL, json=body, headers=headers)
    assert first.status_code == 201, first.text
    assert first.json()["status"] == "stored"
    again = torino.client.post(URL, json=body, headers=headers)
    assert again.status_code == 200
    assert again.json() == {**first.json(), "status": "duplicate"}
    summary = torino.get("/v1/service-points/torino-telefono/summary", **PERIOD)
    assert summary["counts"] == {"positive": 0, "neutral": 0, "negative": 1}
    key_id = token.split("_")[1]
    assert rows(torino, "SELECT channel::text, source, reason, time_source::text FROM ratings") == [
        ("phone", f"key:{key_id}", "waiting-time", "submitted")
    ]
    ranking = torino.get("/v1/organisations/torino/reasons/ranking", **PERIOD)
    assert [(r["code"], r["count"]) for r in ranking["reasons"] if r["count"]] == [("waiting-time", 1)]


def test_a_batch_of_paper_forms_with_stated_times(torino: Api) -> None:
    when = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)
    batch = [
        {
            "service_point": "torino-web",
            "service": "anagrafe",
            "face": face,
            "channel": "paper",
            "judged_at": when.isoformat(),
            "idempotency_key": f"form-{i}",
        }
        for i, face in enumerate(["positive", "positive", "neutral"])
    ]
    answer = torino.post(URL, batch)
    assert (answer["received"], answer["stored"], answer["duplicates"], answer["misuse"]) == (3, 3, 0, 0)
    again = torino.post(URL, [*batch[:2], {**batch[2], "idempotency_key": "form-new"}])
    assert [i["status"] for i in again["items"]] == ["duplicate", "duplicate", "stored"]
    assert rows(torino, "SELECT DISTINCT pressed_at, time_source::text FROM ratings") == [(when, "stated")]
    overview = torino.get("/v1/overview", org="torino", channel="paper", **PERIOD)
    assert sum(r["counts"]["positive"] for r in overview["rows"]) == 2


BAD: list[tuple[dict[str, Any], str, str]] = [
    ({"face": "positive", "channel": "web"}, "missing-field", "/0/service_point"),
    ({"service_point": "torino-web", "face": "happy", "channel": "web"}, "invalid-face", "/0/face"),
    ({"service_point": "torino-web", "face": "positive", "channel": "fax"}, "invalid-channel", "/0/channel"),
    ({"service_point": "nowhere", "face": "positive", "channel": "web"}, "unknown-service-point", "/0/service_point"),
    (
        {"service_point": "torino-web", "face": "positive", "channel": "web", "service": "tributi"},
        "unknown-service",
        "/0/service",
    ),
    (
        {"service_point": "torino-web", "face": "positive", "channel": "web", "reason": "waiting-time"},
        "reason-without-red-face",
        "/0/reason",
    ),
    (
        {"service_point": "torino-web", "face": "negative", "channel": "web", "reason": "too-hot"},
        "unknown-reason",
        "/0/reason",
    ),
    (
        {"service_point": "torino-web", "face": "positive", "channel": "web", "judged_at": "2999-01-01T00:00:00Z"},
        "judged-at-in-the-future",
        "/0/judged_at",
    ),
    (
        {"service_point": "torino-web", "face": "positive", "channel": "web", "judged_at": "2001-01-01T00:00:00Z"},
        "judged-at-too-old",
        "/0/judged_at",
    ),
    (
        {"service_point": "torino-web", "face": "positive", "channel": "web", "judged_at": "2026-01-01T00:00:00"},
        "invalid-judged-at",
        "/0/judged_at",
    ),
    (
        {"service_point": "torino-web", "face": "positive", "channel": "web", "kiosk_id": "k1"},
        "unknown-field",
        "/0/kiosk_id",
    ),
]


@pytest.mark.parametrize(("item", "kind", "pointer"), BAD, ids=[kind for _, kind, _ in BAD])
def test_each_fault_is_named_and_nothing_is_stored(torino: Api, item: dict[str, Any], kind: str, pointer: str) -> None:
    good = {"service_point": "torino-web", "face": "positive", "channel": "web", "idempotency_key": "good"}
    response = torino.client.post(URL, json=[item, good], headers={**torino.headers(), "Idempotency-Key": "b1"})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"].endswith("/invalid-ratings")
    [error] = problem["errors"]
    assert error["type"].endswith("/" + kind), error
    assert (error["pointer"], error["index"], error["status"]) == (pointer, 0, 422)
    single = torino.client.post(URL, json=item, headers={**torino.headers(), "Idempotency-Key": "s1"})
    assert single.status_code == 422
    assert single.json()["type"].endswith("/" + kind)
    assert rows(torino, "SELECT count(*) FROM ratings") == [(0,)]
    assert rows(torino, "SELECT count(*) FROM rating_keys") == [(0,)]


def test_without_an_idempotency_key_nothing_is_guessed(torino: Api) -> None:
    body = {"service_point": "torino-web", "face": "positive", "channel": "web"}
    response = torino.client.post(URL, json=body, headers=torino.headers())
    assert response.status_code == 422
    assert response.json()["type"].endswith("/missing-idempotency-key")
    for bad in ([], "text", [body] * 1001):
        assert torino.client.post(URL, json=bad, headers=torino.headers()).status_code == 422


def test_a_key_bound_to_a_service_point_sends_only_its_ratings(torino: Api) -> None:
    token = make_key(torino.database_url, "ingest", org="torino", service_point="torino-telefono")
    body = {"service_point": "torino-web", "face": "positive", "channel": "web", "idempotency_key": "x"}
    response = torino.client.post(URL, json=[body], headers=torino.headers(token))
    assert response.status_code == 403
    assert response.json()["errors"][0]["type"].endswith("/service-point-not-allowed")
    reader = torino.client.post(URL, json=body, headers=torino.headers(torino.reader))
    assert reader.status_code == 403
    assert rows(torino, "SELECT count(*) FROM ratings") == [(0,)]


def test_a_client_over_its_limit_is_kept_as_misuse_and_never_stored_raw(torino: Api) -> None:
    client = "session-7f3a-citizen"
    batch = [
        {
            "service_point": "torino-web",
            "face": "negative",
            "channel": "app",
            "client": client,
            "idempotency_key": f"a{i}",
        }
        for i in range(5)
    ]
    answer = torino.post(URL, batch)
    assert [i["misuse"] for i in answer["items"]] == [False, False, False, True, True]  # 3 per window by default
    summary = torino.get("/v1/service-points/torino-web/summary", **PERIOD)
    assert (summary["counts"]["negative"], summary["misuse"]) == (3, 2)
    with psycopg.connect(torino.database_url) as conn:
        dump = "".join(
            str(row)
            for table in ("ratings", "channel_hits", "channel_day_secrets", "rating_keys")
            for row in conn.execute(f"SELECT * FROM {table}".encode())  # noqa: S608 - fixed names
        )
    assert client not in dump


def test_channels_side_by_side_in_the_overview_and_the_monthly_report(torino: Api) -> None:
    last_month = (datetime.now(UTC).replace(day=1) - timedelta(days=1)).replace(day=10, hour=10)
    batch = [
        {"service_point": sp, "face": face, "channel": channel, "judged_at": when.isoformat(), "idempotency_key": key}
        for key, (sp, face, channel) in enumerate(
            [
                ("torino-web", "positive", "web"),
                ("torino-web", "negative", "web"),
                ("torino-telefono", "positive", "phone"),
                ("torino-telefono", "neutral", "phone"),
                ("torino-telefono", "positive", "phone"),
            ]
        )
        for when in (last_month, datetime.now(UTC) - timedelta(minutes=1))
    ]
    for item in batch:
        item["idempotency_key"] = f"{item['idempotency_key']}-{item['judged_at']}"
    torino.post(URL, batch)
    figures = torino.get("/v1/organisations/torino/channels")
    by_channel = {c["channel"]: c for c in figures["channels"]}
    assert list(by_channel) == ["counter", "phone", "web", "app", "paper"]
    assert by_channel["phone"]["counts"] == {"positive": 2, "neutral": 1, "negative": 0}
    assert by_channel["web"]["counts"] == {"positive": 1, "neutral": 0, "negative": 1}
    assert by_channel["counter"]["total"] == 0
    assert by_channel["web"]["flag"]["state"] == "not_enough_data"
    report = torino.get("/v1/organisations/torino/reports/monthly", month=f"{last_month:%Y-%m}")
    channels = {row["key"]: row["counts"] for row in report["channels"]}
    assert channels["phone"] == {"positive": 2, "neutral": 1, "negative": 0}
    assert channels["web"] == {"positive": 1, "neutral": 0, "negative": 1}


def test_the_raw_export_names_the_source_not_a_kiosk(torino: Api) -> None:
    token = make_key(torino.database_url, "ingest", org="torino")
    body = {"service_point": "torino-web", "face": "positive", "channel": "web", "idempotency_key": "w1"}
    assert torino.client.post(URL, json=body, headers=torino.headers(token)).status_code == 201
    response = torino.client.get(
        "/v1/exports/ratings",
        params={"org": "torino", "from": "2020-01-01", "to": "2100-01-01", "format": "ndjson"},
        headers=torino.headers(),
    )
    [row] = [json.loads(line) for line in response.text.splitlines()]
    assert (row["kiosk_id"], row["seq"], row["channel"]) == (None, None, "web")
    assert row["source"] == f"key:{token.split('_')[1]}"
