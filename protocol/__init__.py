"""The wire contract between kiosks and the collector.

Everything that crosses MQTT is defined here and nowhere else: the topic grammar
(`protocol.topics`), the payload models (`protocol.messages`) and how bytes become
models (`protocol.codec`). This package imports only pydantic and the standard
library, so a kiosk, the simulator, the collector and third-party integrators can
all depend on it.
"""

from protocol.codec import decode, encode, parse_message
from protocol.errors import ProtocolError
from protocol.messages import (
    Ack,
    Channel,
    Face,
    Heartbeat,
    KioskClock,
    KioskConfig,
    Rating,
    Status,
    WireModel,
)
from protocol.topics import Topic, TopicKind, TopicSpec, build_topic, parse_topic, spec_for, subscription

__all__ = [
    "Ack",
    "Channel",
    "Face",
    "Heartbeat",
    "KioskClock",
    "KioskConfig",
    "ProtocolError",
    "Rating",
    "Status",
    "Topic",
    "TopicKind",
    "TopicSpec",
    "WireModel",
    "build_topic",
    "decode",
    "encode",
    "parse_message",
    "parse_topic",
    "spec_for",
    "subscription",
]
