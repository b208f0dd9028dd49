"""The tuned paho client against a real mosquitto: buffered reads lose no packet, batched acks take."""

from __future__ import annotations

import threading
import time
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from collector.ingest.mqtt_client import BatchingClient
from devstack.mosquitto import LocalMosquitto
from tests.fixtures.fix_mosquitto import named_client

TOPIC = "mlf/v1/org/k1/rating"
COUNT = 3000  # more than one 256 KiB read, and more than the receive maximum below


class Subscriber:
    def __init__(self, port: int) -> None:
        self.port = port
        self.received: list[tuple[int, bytes]] = []
        self.lock = threading.Lock()
        self.client = self._new_client()

    def _new_client(self) -> BatchingClient:
        """A new client object per connection, like a restarted collector (same id: same broker session)."""
        client = named_client("batching-sub", BatchingClient, manual_ack=True)
        client.on_connect = lambda c, *_: c.subscribe(TOPIC, qos=1)
        client.on_message = self._on_message
        return client

    def _on_message(self, _c: mqtt.Client, _u: Any, message: mqtt.MQTTMessage) -> None:
        with self.lock:
            self.received.append((message.mid, bytes(message.payload)))

    def connect(self) -> None:
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = 600
        props.ReceiveMaximum = 500
        self.client = self._new_client()
        self.client.connect("127.0.0.1", self.port, clean_start=False, properties=props)
        self.client.loop_start()

    def disconnect(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def wait_for(self, count: int, timeout: float = 30) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.received) >= count:
                    return True
            time.sleep(0.02)
        return False

    def ack_all(self) -> None:
        with self.lock:
            mids = [mid for mid, _ in self.received]
        self.client.ack_many(mids)


def publish(port: int, count: int, offset: int = 0) -> None:
    client = named_client("batching-pub")
    client.connect("127.0.0.1", port)
    client.loop_start()
    infos = [client.publish(TOPIC, f"message {offset + i:05d}".encode() * 8, qos=1) for i in range(count)]
    for info in infos:
        info.wait_for_publish(30)
    client.disconnect()
    client.loop_stop()


def test_every_packet_of_a_large_backlog_arrives_in_order_and_batched_acks_take(broker: LocalMosquitto) -> None:
    sub = Subscriber(broker.port)
    sub.connect()
    assert sub.wait_for(0)
    time.sleep(0.3)
    sub.disconnect()
    publish(broker.port, COUNT)  # queued by the broker for our session

    sub.connect()
    # The receive maximum (500) stops the broker until we ack: ack whatever arrived, batch by batch.
    deadline = time.monotonic() + 60
    while not sub.wait_for(COUNT, timeout=0.5) and time.monotonic() < deadline:
        sub.ack_all()
    assert len(sub.received) == COUNT, f"{len(sub.received)} of {COUNT}: acks did not reopen the window"
    sub.ack_all()
    payloads = [payload for _, payload in sub.received]
    assert payloads == [f"message {i:05d}".encode() * 8 for i in range(COUNT)]
    time.sleep(0.5)
    sub.disconnect()

    sub.received.clear()
    sub.connect()
    assert not sub.wait_for(1, timeout=2), "acked messages came back: the batched PUBACKs were lost"
    sub.disconnect()


def test_unacked_messages_come_back_after_a_reconnect(broker: LocalMosquitto) -> None:
    """The counterpart: without `ack_many`, the broker redelivers (so the test above can fail)."""
    sub = Subscriber(broker.port)
    sub.connect()
    time.sleep(0.3)
    publish(broker.port, 50)
    assert sub.wait_for(50)
    sub.disconnect()
    sub.received.clear()
    sub.connect()
    assert sub.wait_for(50)
    sub.ack_all()
    sub.disconnect()


def test_publish_decoding_with_and_without_properties_agrees_with_paho(broker: LocalMosquitto) -> None:
    """The fast path (QoS 1, no properties) and paho's own (properties, QoS 0, retained) give the same fields."""
    seen: list[mqtt.MQTTMessage] = []
    got = threading.Event()

    def on_message(_c: mqtt.Client, _u: Any, message: mqtt.MQTTMessage) -> None:
        seen.append(message)
        if len(seen) == 4:
            got.set()

    sub = named_client("decoding-sub", BatchingClient, manual_ack=True)
    subscribed = threading.Event()
    sub.on_subscribe = lambda *_: subscribed.set()
    sub.on_message = on_message
    sub.connect("127.0.0.1", broker.port)
    sub.subscribe("mlf/v1/org/+/rating", qos=1)
    sub.loop_start()
    try:
        assert subscribed.wait(10)
        pub = named_client("decoding-pub")
        pub.connect("127.0.0.1", broker.port)
        pub.loop_start()
        props = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
        props.UserProperty = ("kiosk", "k2")
        props.MessageExpiryInterval = 3600
        sent = [
            pub.publish("mlf/v1/org/k1/rating", b"plain \x00\xff", qos=1),
            pub.publish("mlf/v1/org/k2/rating", b"with properties", qos=1, properties=props),
            pub.publish("mlf/v1/org/k3/rating", b"at most once", qos=0),
            pub.publish("mlf/v1/org/k\u00e8/rating", b"", qos=1),  # UTF-8 topic, empty payload
        ]
        for info in sent:
            info.wait_for_publish(10)
        assert got.wait(10), f"{len(seen)} of 4 arrived"
        pub.disconnect()
        pub.loop_stop()
        sub.ack_many(m.mid for m in seen if m.qos == 1)
    finally:
        sub.disconnect()
        sub.loop_stop()
    by_topic = {m.topic: m for m in seen}
    plain, with_props = by_topic["mlf/v1/org/k1/rating"], by_topic["mlf/v1/org/k2/rating"]
    assert (plain.payload, plain.qos, plain.retain, plain.dup) == (b"plain \x00\xff", 1, False, False)
    assert plain.mid > 0
    assert plain.timestamp > 0
    assert (with_props.payload, with_props.qos) == (b"with properties", 1)
    assert with_props.properties is not None
    assert with_props.properties.UserProperty == [("kiosk", "k2")]  # type: ignore[attr-defined]
    assert by_topic["mlf/v1/org/k3/rating"].qos == 0
    assert by_topic["mlf/v1/org/k\u00e8/rating"].payload == b""
    assert len({plain.mid, with_props.mid, by_topic["mlf/v1/org/k\u00e8/rating"].mid}) == 3


class CountingClient(BatchingClient):
    """Counts the PUBLISH packets that went through paho's packet reader rather than the buffer."""

    paho_reader = 0

    def _handle_publish(self) -> Any:
        self.paho_reader += 1
        return super()._handle_publish()


def test_qos1_messages_go_from_the_buffer_to_the_handler_others_through_paho(broker: LocalMosquitto) -> None:
    """A backlog of plain QoS 1 messages (sizes from empty to larger than one read) mixed with messages
    with properties: every plain one reaches `on_qos1_message` exactly once, in order, byte for byte, and
    most of them straight from the read buffer; the others reach `on_message` with their properties."""
    plain: list[tuple[bytes, bytes, int]] = []
    others: list[mqtt.MQTTMessage] = []
    expected_plain: list[tuple[bytes, bytes]] = []

    def session(clean: bool = False, hold: threading.Event | None = None) -> CountingClient:
        """A client object per connection, as paho's loop wants; the same id keeps the broker session.
        With `hold`, nothing is read until it is set (the socket fills up meanwhile)."""
        client = named_client("drain-sub", CountingClient, manual_ack=True)
        if hold is not None:
            client.pause_reading = lambda: not hold.is_set()
        client.on_qos1_message = lambda topic, payload, mid: plain.append((topic, payload, mid))
        client.on_message = lambda _c, _u, message: others.append(message)
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = 0 if clean else 600
        props.ReceiveMaximum = 5000  # the whole backlog in flight at once (mosquitto's default here: 1000)
        client.connect("127.0.0.1", broker.port, clean_start=clean, properties=props)
        client.loop_start()
        return client

    def close(client: CountingClient) -> None:
        client.disconnect()
        client.loop_stop()

    sub = session()
    subscribed = threading.Event()
    sub.on_subscribe = lambda *_: subscribed.set()
    sub.subscribe("mlf/v1/org/+/rating", qos=1)
    assert subscribed.wait(10)
    close(sub)

    pub = named_client("drain-pub")
    pub.max_inflight_messages_set(1000)
    pub.connect("127.0.0.1", broker.port)
    pub.loop_start()
    user = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
    user.UserProperty = ("n", "x")
    infos = []
    for i in range(3000):
        topic = f"mlf/v1/org/k{i % 37}/rating"
        if i % 100 == 50:
            infos.append(pub.publish(topic, f"props {i}".encode(), qos=1, properties=user))
        else:
            payload = b"" if i == 1 else b"x" * 300_000 if i == 2000 else f"plain {i} ".encode() * (i % 50)
            expected_plain.append((topic.encode(), payload))
            infos.append(pub.publish(topic, payload, qos=1))
    for info in infos:
        info.wait_for_publish(30)
    pub.disconnect()
    pub.loop_stop()

    # The backlog arrives at once, and the first reads are full ones (with small reads, as when a
    # reader keeps up with a slow sender, more packets straddle two reads and go through paho's reader).
    hold = threading.Event()
    sub = session(hold=hold)
    time.sleep(0.5)
    hold.set()
    deadline = time.monotonic() + 30
    while len(plain) + len(others) < 3000 and time.monotonic() < deadline:
        time.sleep(0.05)
    sub.ack_many(mid for _, _, mid in list(plain))
    sub.ack_many(m.mid for m in list(others))
    time.sleep(0.3)
    close(sub)

    assert [(t, p) for t, p, _ in plain] == expected_plain
    assert sub.paho_reader < len(plain) // 4, f"{sub.paho_reader} of {len(plain)} went through paho's reader"
    assert [m.payload.decode() for m in others] == [f"props {i}" for i in range(50, 3000, 100)]
    assert all(m.properties.UserProperty == [("n", "x")] for m in others)  # type: ignore[union-attr]

    plain.clear()
    close(session(clean=True))  # our acks took: nothing comes back before the session ends
    assert plain == []


def test_a_paused_reader_bounds_what_is_held_even_when_the_broker_sends_past_receive_maximum(
    broker: LocalMosquitto,
) -> None:
    """mosquitto stops honouring the Receive Maximum after the first PUBACKs: `pause_reading` is what
    keeps the unacked messages we hold near the limit we set, while acks still go out and all arrive."""
    received: list[int] = []
    acked = 0
    peak = 0
    limit = 1000
    lock = threading.Lock()

    def on_qos1(_topic: bytes, payload: bytes, mid: int) -> None:
        nonlocal peak
        with lock:
            received.append(int(payload[8:13]))  # b"message 00042message 00042..."
            mids.append(mid)
            peak = max(peak, len(received) - acked)

    mids: list[int] = []

    def session() -> BatchingClient:
        client = named_client("paused-sub", BatchingClient, manual_ack=True)
        client.on_qos1_message = on_qos1
        client.pause_reading = lambda: len(received) - acked >= limit
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = 600
        props.ReceiveMaximum = 5000
        client.connect("127.0.0.1", broker.port, clean_start=False, properties=props)
        client.loop_start()
        return client

    sub = session()
    subscribed = threading.Event()
    sub.on_subscribe = lambda *_: subscribed.set()
    sub.subscribe(TOPIC, qos=1)
    assert subscribed.wait(10)
    sub.disconnect()
    sub.loop_stop()
    publish(broker.port, 20_000)

    sub = session()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        time.sleep(0.05)
        with lock:
            pending, done = mids[acked:], len(received)
        sub.ack_many(pending)  # acks from another thread, as the collector's acker does
        with lock:
            acked += len(pending)
        if done == 20_000:
            break
    sub.disconnect()
    sub.loop_stop()
    assert received == list(range(20_000))
    # One read of the socket (256 KiB: some 2000 of these 132-byte packets) may land after the pause begins.
    assert peak <= limit + 2000, f"held {peak} unacked messages with a limit of {limit}"


def test_pubacks_of_our_publishes_complete_them_with_the_brokers_reason_codes(broker: LocalMosquitto) -> None:
    """The PUBACK shortcut reports what paho would: every publish completes, with the broker's reason
    (success with a subscriber, "no matching subscribers" without), in paho's own client and in ours."""

    def run(client: mqtt.Client) -> list[tuple[int, int]]:
        outcomes: list[tuple[int, int]] = []
        client.on_publish = lambda _c, _u, mid, reason, _p: outcomes.append((mid, reason.value))
        client.connect("127.0.0.1", broker.port)
        client.loop_start()
        infos = [
            client.publish(f"mlf/v1/org/k{i}/{'rating' if i % 2 else 'ack'}", b"w", qos=1, retain=True)
            for i in range(200)
        ]
        for info in infos:
            info.wait_for_publish(10)
        client.disconnect()
        client.loop_stop()
        assert all(info.is_published() for info in infos)
        by_mid = dict(outcomes)
        return [(i, by_mid[info.mid]) for i, info in enumerate(infos)]

    listener = named_client("puback-listener")
    listener.connect("127.0.0.1", broker.port)
    listener.subscribe("mlf/v1/org/+/rating", qos=1)
    listener.loop_start()
    time.sleep(0.3)
    try:
        ours = run(named_client("puback-ours", BatchingClient))
        pahos = run(named_client("puback-paho"))
    finally:
        listener.disconnect()
        listener.loop_stop()
    assert ours == pahos
    assert {reason for _, reason in ours} == {0, 16}  # both kinds of PUBACK were seen


def test_a_long_pause_keeps_the_connection_and_then_delivers(broker: LocalMosquitto) -> None:
    """While writing is stalled (a database outage), reading stays paused for many keepalive periods:
    the connection must survive it (no reconnect, so nothing is redelivered) and deliver afterwards."""
    received: list[int] = []
    disconnects: list[object] = []
    paused = True
    client = named_client("long-pause", BatchingClient, manual_ack=True)
    client.on_qos1_message = lambda _t, _p, mid: received.append(mid)
    client.on_disconnect = lambda *args: disconnects.append(args)
    client.pause_reading = lambda: paused and len(received) >= 10
    subscribed = threading.Event()
    client.on_subscribe = lambda *_: subscribed.set()
    client.connect("127.0.0.1", broker.port, keepalive=1)
    client.subscribe(TOPIC, qos=1)
    client.loop_start()
    try:
        assert subscribed.wait(10)
        publish(broker.port, 200)
        time.sleep(4)  # four keepalive periods with data waiting unread
        assert disconnects == [], "paho dropped the connection while reading was paused"
        assert 10 <= len(received) < 200
        paused = False
        deadline = time.monotonic() + 10
        while len(received) < 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(received) == 200
        client.ack_many(received)
    finally:
        client.disconnect()
        client.loop_stop()
