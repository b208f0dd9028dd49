"""/metrics tells an operator what the ingest path is doing, in Prometheus' format."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.fixtures.fix_collector import CollectorProcess
from tests.fixtures.fix_kiosk_mqtt import Publisher
from tests.fixtures.kiosk_messages import rating, wire
from tests.fixtures.prometheus import scrape
from tests.waiting import wait_for


def test_metrics_count_what_happened(collector: CollectorProcess, publisher: Publisher) -> None:
    now = datetime.now(UTC)
    first, second = rating("mk1", 1, pressed_at=now), rating("mk1", 2, pressed_at=now)
    publisher.send_all([*wire("org", [first, second, first]), ("mlf/v1/org/mk1/rating", b"not json")])

    def settled() -> bool:
        metrics = scrape(collector.url, collector.token)
        received = sum(v for k, v in metrics.items() if k.startswith("mlf_ingest_messages_received_total{"))
        committed = metrics.get("mlf_ingest_ratings_stored_total", 0) + metrics.get("mlf_ingest_duplicates_total", 0)
        return received == 4 and committed == 3

    assert wait_for(settled, 30)
    metrics = scrape(collector.url, collector.token)
    assert metrics['mlf_ingest_messages_received_total{kind="rating"}'] == 3
    assert metrics['mlf_ingest_messages_received_total{kind="rejected"}'] == 1
    assert metrics["mlf_ingest_ratings_stored_total"] == 2
    assert metrics["mlf_ingest_duplicates_total"] == 1
    assert metrics['mlf_ingest_quarantined_total{reason="not_json"}'] == 1
    assert metrics["mlf_ingest_batch_duration_seconds_count"] >= 1
    assert 1 <= metrics["mlf_ingest_commit_delay_seconds_count"] <= metrics["mlf_ingest_batch_duration_seconds_count"]
    assert metrics["mlf_ingest_lag_seconds"] == 0
    assert metrics["mlf_ingest_queued_messages"] == 0
    assert metrics["mlf_mqtt_connected"] == 1
    assert metrics["mlf_ingest_last_commit_timestamp_seconds"] > now.timestamp() - 1
