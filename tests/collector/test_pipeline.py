"""The ingest pipeline on a real PostgreSQL, driven through a fake transport (no broker: not about MQTT).

What it owes its transport: every stored message acked once, each kiosk's watermark published retained.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from collector.config import CollectorSettings
from collector.pipeline import IngestPipeline
from protocol import TopicKind, build_topic
from tests.fixtures.kiosk_messages import rating, wire
from tests.fixtures.memory_transport import MemoryTransport
from tests.waiting import wait_for

NOW = datetime.now(UTC).replace(microsecond=0)


def settings(database_url: str, **overrides: Any) -> CollectorSettings:
    values: dict[str, Any] = {"database_url": database_url, "batch_wait_ms": 5, "ack_interval_ms": 0}
    return CollectorSettings(**(values | overrides))


@pytest.fixture
def transport() -> MemoryTransport:
    return MemoryTransport()


@pytest.fixture
def pipeline(database_url: str, transport: MemoryTransport) -> Iterator[IngestPipeline]:
    ingest = IngestPipeline(settings(database_url), transport)
    ingest.start()
    yield ingest
    ingest.stop()


def stored(database_url: str) -> int:
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT count(*) FROM ratings").fetchone()
    return int(row[0]) if row else 0


def test_stored_messages_are_acked_and_the_watermark_published(
    pipeline: IngestPipeline, transport: MemoryTransport, database_url: str
) -> None:
    ratings = [rating("k1", s, pressed_at=NOW - timedelta(minutes=10 - s)) for s in range(1, 11)]
    mids = [transport.deliver(topic, payload) for topic, payload in wire("org", ratings)]
    assert wait_for(lambda: transport.acked_count() == len(mids), timeout=20), transport.acked
    assert sorted(transport.acked) == mids
    assert stored(database_url) == 10
    ack_topic = build_topic("org", "k1", TopicKind.ACK)
    assert wait_for(lambda: any(t == ack_topic for t, *_ in transport.publishes()), timeout=10)
    _, payload, qos, retain = [p for p in transport.publishes() if p[0] == ack_topic][-1]
    assert (json.loads(payload)["seq"], qos, retain) == (10, 1, True)


def test_the_pipeline_knows_no_mqtt() -> None:
    """It is given its transport: it neither builds an MQTT client nor imports paho."""
    import ast
    from pathlib import Path

    import collector.pipeline

    tree = ast.parse(Path(collector.pipeline.__file__).read_text())
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert not {m for m in imported if m and (m.startswith("paho") or m.startswith("collector.mqtt"))}
