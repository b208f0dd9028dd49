"""A kiosk's config is noted as published only once the MQTT client took it; one it refused goes out later.

paho refuses a publish when all 65,535 packet ids await the broker's PUBACK (under an ingest backlog the
collector stops reading its connection, PUBACKs included). The real path freezes a real mosquitto (SIGSTOP)
to make the client refuse for real; the other tests make the refusal on demand with `MemoryTransport`, a fake
transport (named as such), and check what is noted in a real PostgreSQL.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import paho.mqtt.client as mqtt
import psycopg
import pytest

from collector.config import CollectorSettings
from collector.ingest.mqtt_link import MqttLink
from collector.ingest.pipeline import IngestPipeline
from collector.provisioning.reconciler import Reconciler
from devstack.mosquitto import LocalMosquitto
from protocol import KioskConfig, TopicKind, build_topic
from protocol.codec import decode_as
from tests.api.known_data import many, store
from tests.fixtures.fix_mosquitto import named_client
from tests.fixtures.memory_transport import MemoryTransport
from tests.waiting import wait_for

TOPIC = build_topic("org", "k-1", TopicKind.CONFIG)


@pytest.fixture
def kiosk(database_url: str) -> str:
    """Kiosk `k-1` of organisation `org` (registered by its ratings), at service point `sp-1`."""
    store(database_url, many(datetime.now(UTC) - timedelta(hours=1), {"positive": 1}))
    return "k-1"


def noted(database_url: str) -> tuple[int, datetime | None]:
    """(revision, published_at) of k-1's config as the database has it."""
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT config_revision, published_at FROM kiosk_settings WHERE kiosk_id = 'k-1'").fetchone()
    assert row is not None
    return int(row[0]), row[1]


def change_cooldown(database_url: str, seconds: float) -> None:
    with psycopg.connect(database_url) as conn:
        conn.execute("UPDATE kiosk_settings SET cooldown_s = %s WHERE kiosk_id = 'k-1'", (seconds,))


def configs(transport: MemoryTransport) -> list[KioskConfig]:
    """Configs the fake transport took for k-1, in order (each retained, QoS 1)."""
    taken = [(payload, qos, retain) for topic, payload, qos, retain in transport.publishes() if topic == TOPIC]
    assert all((qos, retain) == (1, True) for _, qos, retain in taken)
    return [decode_as(KioskConfig, payload) for payload, _, _ in taken]


def collector(database_url: str, transport: MemoryTransport) -> tuple[IngestPipeline, Reconciler]:
    """A pipeline on the fake transport (not started: only its `publish_config` is used) and its reconciler."""
    pipeline = IngestPipeline(CollectorSettings(database_url=database_url), transport)
    return pipeline, Reconciler(CollectorSettings(database_url=database_url), pipeline.publish_config)


def refused_count(pipeline: IngestPipeline) -> float:
    value = pipeline.metrics.registry.get_sample_value("mlf_mqtt_publishes_refused_total", {"kind": "config"})
    return value or 0.0


def test_a_refused_config_is_not_noted_as_published_and_goes_out_at_the_next_pass(
    database_url: str, kiosk: str, caplog: pytest.LogCaptureFixture
) -> None:
    transport = MemoryTransport()
    pipeline, reconciler = collector(database_url, transport)
    reconciler.run_once()
    assert [c.revision for c in configs(transport)] == [1]
    change_cooldown(database_url, 7)
    transport.refuse_publishes = 1  # the client's packet ids all await PUBACKs
    with caplog.at_level(logging.WARNING, logger="collector.provisioning.reconciler"):
        reconciler.run_once()
    assert [c.revision for c in configs(transport)] == [1]  # refused
    assert noted(database_url) == (2, None)  # a new revision, not published
    assert refused_count(pipeline) == 1
    [line] = [r.getMessage() for r in caplog.records if r.name == "collector.provisioning.reconciler"]
    assert "1 kiosk configuration(s) not published yet (k-1)" in line
    assert "offered again within 30 s" in line
    reconciler.run_once()  # the transport takes it again: nothing changed meanwhile, yet it goes out
    assert [(c.revision, c.cooldown_s) for c in configs(transport)] == [(1, 3.0), (2, 7.0)]
    revision, published_at = noted(database_url)
    assert revision == 2
    assert published_at is not None
    reconciler.run_once()
    assert len(configs(transport)) == 2  # published once: not again


def test_a_config_one_collector_could_not_publish_is_published_by_another(database_url: str, kiosk: str) -> None:
    """The database says which configs are not published: any collector's next pass sends them."""
    first, second = MemoryTransport(), MemoryTransport()
    _, one = collector(database_url, first)
    _, other = collector(database_url, second)
    one.run_once()
    other.run_once()  # both start with a full republish
    change_cooldown(database_url, 9)
    first.refuse_publishes = 1
    one.run_once()
    assert noted(database_url) == (2, None)
    other.run_once()
    assert [(c.revision, c.cooldown_s) for c in configs(second)][-1] == (2, 9.0)
    assert noted(database_url)[1] is not None


def test_a_refused_republish_at_start_is_offered_again(database_url: str, kiosk: str) -> None:
    """At start every config is republished (a lost retained message heals): one refused then, though
    published long ago, is offered again at the next pass rather than an hour later."""
    transport = MemoryTransport()
    collector(database_url, transport)[1].run_once()
    published_at = noted(database_url)[1]
    assert published_at is not None
    restarted = MemoryTransport()
    _, reconciler = collector(database_url, restarted)
    restarted.refuse_publishes = 1
    reconciler.run_once()
    assert configs(restarted) == []
    assert noted(database_url) == (1, published_at)  # as it was: that publication stands
    reconciler.run_once()
    assert [c.revision for c in configs(restarted)] == [1]


class Retained:
    """A kiosk's view of its config topic: what a new subscriber is handed, retained."""

    def __init__(self, port: int) -> None:
        self.port = port

    def read(self, timeout: float = 5) -> KioskConfig | None:
        """The retained config handed to a new subscriber (one published while it subscribes, not retained-
        flagged, is not it)."""
        got: list[KioskConfig] = []
        done = threading.Event()
        client = named_client("config-reader")

        def on_message(_c: mqtt.Client, _u: Any, message: mqtt.MQTTMessage) -> None:
            if message.retain:
                got.append(decode_as(KioskConfig, bytes(message.payload)))
                done.set()

        client.on_message = on_message
        client.on_connect = lambda c, *_: c.subscribe(TOPIC, qos=1)
        client.connect("127.0.0.1", self.port)
        client.loop_start()
        try:
            done.wait(timeout)
        finally:
            client.disconnect()
            client.loop_stop()
        return got[-1] if got else None


@pytest.fixture
def link_settings(broker: LocalMosquitto, database_url: str) -> CollectorSettings:
    return CollectorSettings(database_url=database_url, mqtt_port=broker.port, mqtt_client_id="collector-config")


@pytest.fixture
def live(link_settings: CollectorSettings) -> Iterator[IngestPipeline]:
    pipeline = IngestPipeline(link_settings, MqttLink(link_settings))
    pipeline.start()
    yield pipeline
    pipeline.stop()


def test_a_changed_config_refused_by_a_real_client_reaches_the_kiosk_retained(
    broker: LocalMosquitto, kiosk: str, database_url: str, live: IngestPipeline, link_settings: CollectorSettings
) -> None:
    reconciler = Reconciler(link_settings, live.publish_config)
    reconciler.run_once()
    retained = Retained(broker.port)
    first = retained.read()
    assert first is not None
    assert first.revision == 1
    change_cooldown(database_url, 12)
    assert broker.process is not None
    broker.process.send_signal(signal.SIGSTOP)  # a broker that answers nothing: every PUBACK waits
    try:
        filled = 0
        while live.transport.publish("test/filler", b"", 1, False):  # the client's packet ids, all in use
            filled += 1
            assert filled <= 65_535
        reconciler.run_once()
    finally:
        broker.process.send_signal(signal.SIGCONT)
    assert noted(database_url) == (2, None)  # refused, for real, and not noted as published

    # The broker answers again and the PUBACKs free the packet ids: a later pass publishes the change.
    def published() -> bool:
        reconciler.run_once()
        return noted(database_url)[1] is not None

    assert wait_for(published, timeout=30, every=0.2)

    # Taken by the client, it follows the 65,535 messages queued before it: the kiosk sees it once they are through.
    def changed() -> KioskConfig | None:
        found = retained.read(timeout=2)
        return found if found is not None and found.revision == 2 else None

    got = wait_for(changed, timeout=30)
    assert got, f"the kiosk still reads {retained.read()}"
    assert (got.revision, got.cooldown_s) == (2, 12.0)
