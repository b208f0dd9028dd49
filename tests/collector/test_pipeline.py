"""The ingest pipeline on a real PostgreSQL, driven through a fake transport (no broker: not about MQTT).

What it owes its transport: every stored message acked once, each kiosk's watermark published retained.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from collector.config import CollectorSettings
from collector.ingest.messages import Batch
from collector.ingest.pipeline import IngestPipeline
from collector.store.writes import WriteResult, write_batch
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

    import collector.ingest.pipeline

    tree = ast.parse(Path(collector.ingest.pipeline.__file__).read_text())
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert not {m for m in imported if m and (m.startswith("paho") or m.startswith("collector.mqtt"))}


class Faulty:
    """`write_batch` with faults put around it (dependency injection, not a mock: the real write runs)."""

    def __init__(self, pipeline_settings: CollectorSettings) -> None:
        from collector.store.writes import write_options

        self.options = write_options(pipeline_settings)
        self.raise_for: set[str] = set()
        """Kiosk ids whose ratings make the write raise OverflowError (a bug of ours on some input)."""
        self.deaths = 0
        """Writes left that end their thread with SystemExit (what no `except Exception` catches)."""
        self.gate = threading.Event()
        self.gate.set()

    def __call__(self, conn: psycopg.Connection[Any], batch: Batch) -> WriteResult:
        self.gate.wait(30)
        if self.deaths:
            self.deaths -= 1
            raise SystemExit("a writer thread ends")
        if any(r.kiosk_id in self.raise_for for r in batch.ratings):
            raise OverflowError("date value out of range")
        return write_batch(conn, batch, self.options)


def running(
    database_url: str, faulty: Faulty | None = None, **overrides: Any
) -> tuple[IngestPipeline, MemoryTransport]:
    transport = MemoryTransport()
    ingest = IngestPipeline(settings(database_url, **overrides), transport, faulty)
    ingest.start()
    return ingest, transport


def quarantined(database_url: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(database_url) as conn:
        return conn.execute("SELECT reason, detail, kiosk_id, seq FROM quarantine ORDER BY seq").fetchall()


def test_a_message_our_code_cannot_store_is_quarantined_with_the_error_and_the_rest_stored(database_url: str) -> None:
    faulty = Faulty(settings(database_url))
    faulty.raise_for = {"poison"}
    faulty.gate.clear()  # everything lands in one batch
    ingest, transport = running(database_url, faulty, writers=1)
    try:
        good = [rating("k1", s, pressed_at=NOW - timedelta(minutes=60 - s)) for s in range(1, 41)]
        bad = rating("poison", 1, pressed_at=NOW - timedelta(minutes=5))
        messages = wire("org", [*good[:20], bad, *good[20:]])
        for topic, payload in messages:
            transport.deliver(topic, payload)
        faulty.gate.set()
        assert wait_for(lambda: transport.acked_count() == len(messages), timeout=20), transport.acked_count()
        assert ingest.problems() == []
    finally:
        ingest.stop()
    assert stored(database_url) == 40
    assert quarantined(database_url) == [("store_error", "OverflowError: date value out of range", "poison", 1)]


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")  # the thread dies on purpose
def test_a_writer_that_dies_is_restarted_with_its_batch_and_reported_down_meanwhile(database_url: str) -> None:
    faulty = Faulty(settings(database_url))
    faulty.deaths = 2
    ingest, transport = running(database_url, faulty, writers=1)
    try:
        messages = wire("org", [rating("k1", s, pressed_at=NOW - timedelta(minutes=60 - s)) for s in range(1, 11)])
        for topic, payload in messages:
            transport.deliver(topic, payload)
        down = wait_for(lambda: [p for p in ingest.problems() if "down" in p], timeout=10)
        assert down == ["writer 0 is down (its thread died); restarting it"]
        assert wait_for(lambda: transport.acked_count() == len(messages), timeout=20), "the batch was lost"
        assert ingest.problems() == []
        assert ingest.metrics.writer_restarts._value.get() == 2
    finally:
        ingest.stop()
    assert stored(database_url) == 10


def test_reading_pauses_while_a_batch_waits_and_lag_past_the_threshold_is_reported(database_url: str) -> None:
    faulty = Faulty(settings(database_url))
    faulty.gate.clear()  # the database is slow
    ingest, transport = running(database_url, faulty, writers=1, batch_max=10, health_max_lag_s=0.5)
    try:
        messages = wire("org", [rating("k1", s, pressed_at=NOW - timedelta(minutes=60 - s)) for s in range(1, 26)])
        for topic, payload in messages:
            transport.deliver(topic, payload)
        assert transport.paused, "a batch's worth waits: reading should pause"
        assert wait_for(lambda: [p for p in ingest.problems() if "lags" in p], timeout=5)
        faulty.gate.set()
        assert wait_for(lambda: transport.acked_count() == len(messages), timeout=20)
        assert wait_for(lambda: not transport.paused, timeout=5), "reading stayed paused after the inbox drained"
        assert ingest.problems() == []
    finally:
        ingest.stop()
    assert stored(database_url) == 25


class Recording:
    """`write_batch` that notes which writer thread stored which kiosk's sequence numbers, in order."""

    def __init__(self, pipeline_settings: CollectorSettings) -> None:
        from collector.store.writes import write_options

        self.options = write_options(pipeline_settings)
        self.seen: dict[str, list[tuple[str, int]]] = {}
        self.lock = threading.Lock()

    def __call__(self, conn: psycopg.Connection[Any], batch: Batch) -> WriteResult:
        result = write_batch(conn, batch, self.options)
        with self.lock:
            for r in batch.ratings:
                self.seen.setdefault(r.kiosk_id, []).append((threading.current_thread().name, r.rating.seq))
        return result


def test_each_kiosk_is_written_by_one_writer_in_order_and_the_writers_share_the_fleet(database_url: str) -> None:
    """Writers never wait on each other's locks of a kiosk's rows, and a kiosk's numbers arrive in order."""
    recording = Recording(settings(database_url))
    ingest, transport = running(database_url, recording, writers=2, batch_max=7)  # type: ignore[arg-type]
    try:
        kiosks = [f"k{i}" for i in range(12)]
        ratings = [rating(k, s, pressed_at=NOW - timedelta(minutes=60 - s)) for s in range(1, 16) for k in kiosks]
        for topic, payload in wire("org", ratings):
            transport.deliver(topic, payload)
        assert wait_for(lambda: transport.acked_count() == len(ratings), timeout=30), transport.acked_count()
    finally:
        ingest.stop()
    assert stored(database_url) == len(ratings)
    for kiosk in kiosks:
        writers = {writer for writer, _ in recording.seen[kiosk]}
        assert len(writers) == 1, (kiosk, writers)
        assert [seq for _, seq in recording.seen[kiosk]] == list(range(1, 16))
    assert len({writer for seen in recording.seen.values() for writer, _ in seen}) == 2


class Held(Faulty):
    """`write_batch` that holds every batch holding a rating of kiosk `k0` until `gate` opens."""

    def __call__(self, conn: psycopg.Connection[Any], batch: Batch) -> WriteResult:
        if any(r.kiosk_id == "k0" for r in batch.ratings):
            self.gate.wait(30)
        return write_batch(conn, batch, self.options)


def test_acks_go_out_in_arrival_order_whichever_writer_commits_first(database_url: str) -> None:
    """mosquitto walks its in-flight list from the oldest to find the message a PUBACK names: an ack that
    overtakes unacked messages costs the broker a step for each (collector/ingest/ack_order.py)."""
    held = Held(settings(database_url))
    held.gate.clear()
    ingest, transport = running(database_url, held, writers=2, batch_max=7)
    try:
        kiosks = [f"k{i}" for i in range(12)]
        ratings = [rating(k, s, pressed_at=NOW - timedelta(minutes=60 - s)) for s in range(1, 6) for k in kiosks]
        mids = [transport.deliver(topic, payload) for topic, payload in wire("org", ratings)]
        # k0's writer waits; the other one stores its kiosks, but nothing may be acked before k0's first rating
        assert wait_for(lambda: stored(database_url) > 0, timeout=20)
        time.sleep(0.3)
        assert transport.acked == []
        held.gate.set()
        assert wait_for(lambda: transport.acked_count() == len(mids), timeout=30), transport.acked_count()
    finally:
        ingest.stop()
    assert transport.acked == mids
    assert stored(database_url) == len(ratings)


def test_arrival_order_frees_a_message_once_every_earlier_one_is_committed() -> None:
    from collector.ingest.ack_order import ArrivalOrder
    from collector.ingest.messages import Inbound

    a, b, c, d = (Inbound(f"t/{n}", b"", NOW, mid=n, qos=1) for n in range(4))
    order = ArrivalOrder()
    for message in (a, b, c, d):
        order.arrived(message)
    assert order.committed([c]) == []
    assert order.committed([a]) == [a]
    assert order.committed([d, b]) == [b, c, d]
    assert len(order) == 0
    assert order.committed([]) == []


def test_a_watermark_the_transport_refuses_is_published_later(database_url: str) -> None:
    """A client whose queue is full refuses a publish: the watermark waits for the next round, not lost."""
    ingest, transport = running(database_url, writers=1)
    transport.refuse_publishes = 2
    try:
        for topic, payload in wire("org", [rating("k1", 1, pressed_at=NOW - timedelta(minutes=5))]):
            transport.deliver(topic, payload)
        ack_topic = build_topic("org", "k1", TopicKind.ACK)
        assert wait_for(lambda: any(t == ack_topic for t, *_ in transport.publishes()), timeout=10)
        assert transport.refuse_publishes == 0
    finally:
        ingest.stop()
    _, payload, *_ = [p for p in transport.publishes() if p[0] == ack_topic][-1]
    assert json.loads(payload)["seq"] == 1
    assert ingest.metrics.registry.get_sample_value("mlf_mqtt_publishes_refused_total", {"kind": "ack"}) == 2
