"""`mlf-collector serve --role api|ingest|all`: the API and ingest run together (the default) or apart."""

from __future__ import annotations

import urllib.error
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from devstack.processes import free_port
from tests.fixtures.fix_collector import CollectorProcess
from tests.fixtures.fix_kiosk_mqtt import Publisher
from tests.fixtures.kiosk_messages import rating, wire
from tests.fixtures.prometheus import scrape
from tests.waiting import wait_for


def test_the_api_alone_needs_no_broker(start_collector: Callable[..., CollectorProcess]) -> None:
    api = start_collector("serve", "--role", "api", COLLECTOR_MQTT_PORT=str(free_port()))  # nobody listens there
    assert api.get("/healthz")["broker"] == {"ok": True, "detail": "ingest disabled"}
    assert api.get("/v1/overview")["rows"] == []
    assert not any(name.startswith("mlf_ingest") for name in scrape(api.url, api.token))


def test_ingest_alone_stores_ratings_and_serves_only_probes_and_metrics(
    start_collector: Callable[..., CollectorProcess], publisher: Publisher
) -> None:
    ingest = start_collector("serve", "--role", "ingest")
    publisher.send_all(wire("org", [rating("rk1", 1, pressed_at=datetime.now(UTC))]))
    assert wait_for(lambda: scrape(ingest.url, ingest.token).get("mlf_ingest_ratings_stored_total") == 1, 30)
    assert ingest.get("/healthz")["status"] == "ok"
    with pytest.raises(urllib.error.HTTPError) as refused:
        ingest.get("/v1/overview")
    assert refused.value.code == 404
    refused.value.close()
    api = start_collector("serve", "--role", "api")
    assert [row["total"] for row in api.get("/v1/overview?org=org")["rows"]] == [1]
