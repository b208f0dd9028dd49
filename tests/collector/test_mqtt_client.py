"""The tuned paho client against a real mosquitto: buffered reads lose no packet, batched acks take."""

from __future__ import annotations

import threading
import time
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from collector.mqtt_client import BatchingClient
from devstack.mosquitto import LocalMosquitto

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
        client = BatchingClient(
            CallbackAPIVersion.VERSION2, client_id="batching-sub", protocol=mqtt.MQTTv5, manual_ack=True
        )
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
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="batching-pub", protocol=mqtt.MQTTv5)
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
