"""What the ingest pipeline needs of the connection its messages come from, and nothing more.

The pipeline (`collector.ingest.pipeline`) is given a transport; it never builds one. In service that is
`collector.ingest.mqtt_link.MqttLink` (the broker); a test that is about the pipeline, not about MQTT, gives it
one that lives in memory (`tests/fixtures/memory_transport.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol

from collector.ingest.messages import Inbound

Receive = Callable[[Inbound], None]
"""Called for every message, on the transport's own thread: it must only enqueue."""
Publish = Callable[[str, bytes, int, bool], bool]
"""(topic, payload, qos, retain) -> whether it was taken: `Transport.publish`."""


def publish_each(publish: Publish, messages: Iterable[tuple[str, bytes]], qos: int, retain: bool) -> int:
    """`publish` one message after the other until one is refused: how many were taken (`publish_many`)."""
    taken = 0
    for topic, payload in messages:
        if not publish(topic, payload, qos, retain):
            break
        taken += 1
    return taken


class Transport(Protocol):
    @property
    def connected(self) -> bool:
        """Whether messages can flow now."""

    @property
    def last_error(self) -> str | None:
        """Why the last connection attempt or connection failed, for people (None when all is well)."""

    def start(self, receive: Receive) -> None:
        """Connect and deliver every message to `receive`; raise `ConnectionError` (one clear line) if we cannot."""

    def stop(self) -> None:
        """Disconnect: messages delivered and not acked come again on the next connection."""

    def ack(self, messages: Iterable[Inbound]) -> None:
        """The messages are stored: the source may forget them."""

    def publish(self, topic: str, payload: bytes, qos: int, retain: bool) -> bool:
        """Send a message of ours (an ack watermark, a kiosk's config), now or once connected again; False
        when it was not taken (the client's queue is full): try again later."""

    def publish_many(self, messages: list[tuple[str, bytes]], qos: int, retain: bool) -> int:
        """`publish` for each of `messages` (topic, payload) in order, at once: how many were taken, from
        the first (the others: try again later)."""

    def pause_reading(self) -> None:
        """Deliver nothing more until `resume_reading` (what was delivered waits to be written)."""

    def resume_reading(self) -> None:
        """Deliver again."""
