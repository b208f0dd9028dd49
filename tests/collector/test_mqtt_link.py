"""The collector's MQTT transport against a real mosquitto, on both paths: the fast one and paho's own.

Whichever client carries it, the transport delivers a backlog in order, acked messages stay acked across
a reconnect and unacked ones come back, and a paused reader holds delivery back until it resumes. The
fast path is chosen by `COLLECTOR_MQTT_FAST_PATH` and the paho release; nothing outside its module
touches paho's private attributes.
"""

from __future__ import annotations

import ast
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from collector.config import CollectorSettings
from collector.ingest.messages import Inbound
from collector.ingest.mqtt_client import TESTED_PAHO_VERSIONS, UntestedPaho, fast_path_wanted
from collector.ingest.mqtt_link import MqttLink
from devstack.mosquitto import LocalMosquitto
from tests.fixtures.fix_kiosk_mqtt import Publisher
from tests.fixtures.fix_mosquitto import named_client
from tests.waiting import wait_for

COLLECTOR = Path(__file__).resolve().parents[2] / "collector"
FENCED = COLLECTOR / "ingest" / "mqtt_client.py"


@pytest.fixture(params=["on", "off"], ids=["fast-path", "stock-paho"])
def fast_path(request: pytest.FixtureRequest) -> str:
    return str(request.param)


class Received:
    def __init__(self) -> None:
        self.items: list[Inbound] = []
        self.lock = threading.Lock()

    def __call__(self, inbound: Inbound) -> None:
        with self.lock:
            self.items.append(inbound)

    def count(self) -> int:
        with self.lock:
            return len(self.items)

    def take(self) -> list[Inbound]:
        with self.lock:
            taken, self.items = self.items, []
        return taken


def link(broker: LocalMosquitto, fast_path: str, **overrides: object) -> MqttLink:
    values: dict[str, object] = {"mqtt_port": broker.port, "mqtt_client_id": "link-test", "mqtt_fast_path": fast_path}
    return MqttLink(CollectorSettings(**(values | overrides)))  # type: ignore[arg-type]


@pytest.fixture
def publisher(broker: LocalMosquitto) -> Iterator[Publisher]:
    pub = Publisher(broker.port, "link-test-kiosks")
    yield pub
    pub.close()


def messages(count: int, size: int = 100, offset: int = 0) -> list[tuple[str, bytes]]:
    return [(f"mlf/v1/org/k{i % 7}/rating", f"{offset + i:06d}".encode().ljust(size, b".")) for i in range(count)]


def test_a_backlog_arrives_in_order_acks_hold_across_a_reconnect_and_unacked_ones_come_back(
    broker: LocalMosquitto, publisher: Publisher, fast_path: str
) -> None:
    first = link(broker, fast_path)
    assert first.fast_path is (fast_path == "on")
    received = Received()
    first.start(received)
    first.stop()  # the session and its subscriptions stay on the broker
    sent = messages(3000)
    publisher.send_all(sent)

    again = link(broker, fast_path)
    again.start(received)
    try:
        assert wait_for(lambda: received.count() == len(sent), timeout=30), received.count()
        got = received.take()
        assert [(m.topic, m.payload) for m in got] == sent
        again.ack(got)
        time.sleep(0.5)  # the acks leave
    finally:
        again.stop()

    publisher.send_all(messages(50, offset=5000))
    third = link(broker, fast_path)
    third.start(received)
    try:
        assert wait_for(lambda: received.count() == 50, timeout=15)
        assert all(m.payload.startswith(b"005") for m in received.items), "acked messages came back"
        received.take()  # not acked: they must come again
    finally:
        third.stop()
    fourth = link(broker, fast_path)
    fourth.start(received)
    try:
        assert wait_for(lambda: received.count() == 50, timeout=15), "unacked messages did not come back"
        fourth.ack(received.take())
    finally:
        fourth.stop()


def test_a_paused_reader_holds_delivery_back_until_it_resumes(
    broker: LocalMosquitto, publisher: Publisher, fast_path: str
) -> None:
    transport = link(broker, fast_path, batch_max=5000)
    received = Received()

    delivered = 0

    def receive(inbound: Inbound) -> None:
        nonlocal delivered
        received(inbound)
        delivered += 1
        if delivered == 100:
            transport.pause_reading()

    transport.start(receive)
    try:
        publisher.send_all(messages(3000, size=400))
        time.sleep(1.5)
        held = received.count()
        # The fast path delivers what its last read of the socket (256 KiB) holds; paho's stops at once.
        assert 100 <= held < 1000, held
        transport.resume_reading()
        got: list[Inbound] = []
        deadline = time.monotonic() + 30
        while len(got) < 3000 and time.monotonic() < deadline:  # acking as it goes, as the pipeline does
            time.sleep(0.1)
            batch = received.take()
            transport.ack(batch)
            got += batch
        assert [m.payload[:6] for m in got] == [f"{i:06d}".encode() for i in range(3000)]
        time.sleep(0.3)
    finally:
        transport.stop()


def test_the_fast_path_is_used_on_tested_paho_releases_only(caplog: pytest.LogCaptureFixture) -> None:
    tested = TESTED_PAHO_VERSIONS[-1]
    assert paho.mqtt.__version__ in TESTED_PAHO_VERSIONS, "the pinned paho is one the fast path was tested with"
    assert fast_path_wanted("auto", tested) is True
    assert fast_path_wanted("on", tested) is True
    assert fast_path_wanted("off", tested) is False
    with pytest.raises(UntestedPaho, match=r"not tested with paho-mqtt 9\.8\.7"):
        fast_path_wanted("on", "9.8.7")
    with caplog.at_level(logging.WARNING, logger="collector.ingest.mqtt_client"):
        assert fast_path_wanted("auto", "9.8.6") is False
        assert fast_path_wanted("auto", "9.8.6") is False  # asked again (the preflight, then the link)
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        f"paho-mqtt 9.8.6 is not among the releases the MQTT fast path was tested with "
        f"({', '.join(TESTED_PAHO_VERSIONS)}): using paho's own client"
    ]


def _paho_private_names() -> set[str]:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    names = set(dir(mqtt.Client)) | set(vars(client)) | set(dir(mqtt.MQTTMessage)) | set(mqtt.MQTTMessage.__slots__)
    return {n for n in names if n.startswith("_") and not n.endswith("__")}


def test_no_private_paho_attribute_outside_the_fenced_module() -> None:
    private = _paho_private_names()
    assert {"_sock", "_in_packet", "_topic", "_handle_publish"} <= private
    found = []
    for path in sorted(COLLECTOR.rglob("*.py")):
        if path == FENCED:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            on_self = isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self"
            if isinstance(node, ast.Attribute) and node.attr in private and not on_self:  # our own objects' are ours
                found.append(f"{path.relative_to(COLLECTOR.parent)}:{node.lineno} .{node.attr}")
    assert not found, found


def test_watermarks_of_a_large_fleet_are_all_taken_and_sent_at_once(broker: LocalMosquitto, fast_path: str) -> None:
    """More publishes than paho's 65,535 packet ids, as the acker makes for a large fleet: paho's default window
    (20 in flight) queued them until it refused them and walked its queue on every PUBACK; ours sends at once."""
    total = 66_000
    counted = threading.Event()
    got: list[int] = []
    watcher = named_client("link-test-watcher")
    subscribed = threading.Event()
    watcher.on_connect = lambda client, *_: client.subscribe("mlf/v1/org/+/ack", qos=0)
    watcher.on_subscribe = lambda *_: subscribed.set()

    def count(*_: object) -> None:
        got.append(1)
        if len(got) >= total:
            counted.set()

    watcher.on_message = count
    watcher.connect("127.0.0.1", broker.port)
    watcher.loop_start()
    ours = link(broker, fast_path)
    ours.start(Received())
    try:
        assert subscribed.wait(10)
        assert ours._client.max_inflight_messages == 0
        taken = [ours.publish(f"mlf/v1/org/k{i % 500}/ack", b"{}", 1, False) for i in range(total)]
        assert all(taken), taken.count(False)
        assert counted.wait(60), len(got)
    finally:
        ours.stop()
        watcher.loop_stop()
        watcher.disconnect()


def test_rounds_of_watermarks_go_out_as_one_write_each_and_every_one_is_completed(
    broker: LocalMosquitto, fast_path: str
) -> None:
    """`publish_many` (the acker's rounds): twice as many messages as there are packet ids, so each must be
    completed by its PUBACK before its id comes round again; retained, so a kiosk that connects later
    finds its latest watermark."""
    kiosks, rounds, per_round = 500, 28, 5000
    heard: list[int] = []
    watcher = named_client("link-test-watcher")
    watcher.on_connect = lambda client, *_: client.subscribe("mlf/v1/org/+/ack", qos=0)
    watcher.on_message = lambda *_: heard.append(1)
    watcher.connect("127.0.0.1", broker.port)
    watcher.loop_start()
    ours = link(broker, fast_path)
    ours.start(Received())
    try:
        assert wait_for(lambda: watcher.is_connected(), timeout=10)
        time.sleep(0.3)  # its subscription is in place
        for r in range(rounds):
            batch = [(f"mlf/v1/org/k{i % kiosks}/ack", f"{r}:{i}".encode()) for i in range(per_round)]
            deadline = time.monotonic() + 30
            while batch:  # what was not taken (every packet id awaits its PUBACK) is offered again, as the acker does
                batch = batch[ours.publish_many(batch, 1, True) :]
                if batch:
                    assert time.monotonic() < deadline, f"{len(batch)} never taken"
                    time.sleep(0.05)
        assert rounds * per_round > 2 * 65_535
        assert wait_for(lambda: len(heard) == rounds * per_round, timeout=60), len(heard)
        retained: dict[str, bytes] = {}
        late = named_client("link-test-late")
        late.on_connect = lambda client, *_: client.subscribe("mlf/v1/org/+/ack", qos=1)
        late.on_message = lambda _c, _u, message: retained.__setitem__(message.topic, bytes(message.payload))
        late.connect("127.0.0.1", broker.port)
        late.loop_start()
        try:
            assert wait_for(lambda: len(retained) == kiosks, timeout=30), len(retained)
        finally:
            late.loop_stop()
            late.disconnect()
        last = rounds - 1
        assert retained == {f"mlf/v1/org/k{k}/ack": f"{last}:{per_round - kiosks + k}".encode() for k in range(kiosks)}
    finally:
        ours.stop()
        watcher.loop_stop()
        watcher.disconnect()


def test_while_reading_is_paused_our_publishes_awaiting_their_puback_are_bounded(broker: LocalMosquitto) -> None:
    """The broker's PUBACKs come on the connection we stop reading under a backlog: the fast path takes at
    most OUR_PUBLISHES_MAX publishes then, and the rest once reading resumes."""
    from collector.ingest.mqtt_client import OUR_PUBLISHES_MAX

    ours = link(broker, "on")
    ours.start(Received())
    try:
        ours.pause_reading()
        time.sleep(0.2)
        batch = [(f"mlf/v1/org/k{i % 500}/ack", b"{}") for i in range(OUR_PUBLISHES_MAX + 5000)]
        assert ours.publish_many(batch, 1, True) == OUR_PUBLISHES_MAX
        time.sleep(0.5)  # the broker's PUBACKs wait unread
        assert ours.publish_many(batch[OUR_PUBLISHES_MAX:], 1, True) == 0
        ours.resume_reading()
        assert wait_for(lambda: ours.publish_many(batch[OUR_PUBLISHES_MAX:], 1, True) == 5000, timeout=20)
    finally:
        ours.stop()
