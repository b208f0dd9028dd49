"""The topic grammar: `mlf/v1/<org>/<kiosk_id>/<kind>`.

This module is the only place in the repository that builds or parses a topic
string. The table `SPECS` maps every topic to its payload model, QoS, retain flag
and publisher, so the whole contract can be read (and documented) from one place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from protocol.errors import ProtocolError
from protocol.messages import SLUG_PATTERN, Ack, Heartbeat, KioskConfig, Rating, Status, WireModel

PREFIX = "mlf"
VERSION = "v1"
_SLUG = re.compile(SLUG_PATTERN)


class TopicKind(StrEnum):
    RATING = "rating"
    HEARTBEAT = "heartbeat"
    STATUS = "status"
    CONFIG = "config"
    ACK = "ack"


@dataclass(frozen=True)
class TopicSpec:
    kind: TopicKind
    payload: type[WireModel]
    qos: Literal[0, 1, 2]
    retain: bool
    publisher: Literal["kiosk", "collector", "broker"]
    description: str


SPECS: dict[TopicKind, TopicSpec] = {
    TopicKind.RATING: TopicSpec(
        TopicKind.RATING,
        Rating,
        qos=1,
        retain=False,
        publisher="kiosk",
        description="One accepted press. Sent from the kiosk's durable outbox, in sequence order; "
        "resent until the collector's ack for its instance covers it, so the collector may see it more than once.",
    ),
    TopicKind.HEARTBEAT: TopicSpec(
        TopicKind.HEARTBEAT,
        Heartbeat,
        qos=1,
        retain=False,
        publisher="kiosk",
        description="Health of the kiosk every interval (default 60 s), and on every (re)connection.",
    ),
    TopicKind.STATUS: TopicSpec(
        TopicKind.STATUS,
        Status,
        qos=1,
        retain=True,
        publisher="kiosk",
        description="`online` when the kiosk connects; `offline` when it stops, or from the broker "
        "as the kiosk's last will when the connection is lost.",
    ),
    TopicKind.CONFIG: TopicSpec(
        TopicKind.CONFIG,
        KioskConfig,
        qos=1,
        retain=True,
        publisher="collector",
        description="The kiosk's remote configuration. A kiosk keeps the last valid one on disk and "
        "reports a rejected one in its heartbeat.",
    ),
    TopicKind.ACK: TopicSpec(
        TopicKind.ACK,
        Ack,
        qos=1,
        retain=True,
        publisher="collector",
        description="Watermark: every rating of this kiosk's instance I with seq <= N is stored, without gaps. "
        "Only then may the kiosk whose outbox is instance I forget those ratings; it ignores acks for other "
        "instances. Retained (the last one of any instance); the collector publishes an instance's watermark "
        "again whenever it hears from that instance.",
    ),
}


@dataclass(frozen=True)
class Topic:
    org: str
    kiosk_id: str
    kind: TopicKind

    def __str__(self) -> str:
        return f"{PREFIX}/{VERSION}/{self.org}/{self.kiosk_id}/{self.kind.value}"

    @property
    def spec(self) -> TopicSpec:
        return SPECS[self.kind]


def spec_for(kind: TopicKind) -> TopicSpec:
    return SPECS[kind]


def build_topic(org: str, kiosk_id: str, kind: TopicKind) -> str:
    """The topic a message of `kind` about `kiosk_id` is published on."""
    for name, value in (("organisation", org), ("kiosk id", kiosk_id)):
        if not _SLUG.fullmatch(value):
            raise ProtocolError("bad_topic", f"{name} {value!r} is not a valid identifier ({SLUG_PATTERN})")
    return str(Topic(org, kiosk_id, TopicKind(kind)))


def parse_topic(topic: str) -> Topic:
    """Split a topic into its parts; `ProtocolError('bad_topic')` if it is not ours."""
    parts = topic.split("/")
    if len(parts) != 5 or parts[0] != PREFIX:
        raise ProtocolError("bad_topic", f"topic {topic[:200]!r} is not {PREFIX}/{VERSION}/<org>/<kiosk>/<kind>")
    _, version, org, kiosk_id, kind = parts
    if version != VERSION:
        raise ProtocolError("bad_topic", f"topic version {version[:20]!r} is not supported (expected {VERSION})")
    if not _SLUG.fullmatch(org) or not _SLUG.fullmatch(kiosk_id):
        raise ProtocolError("bad_topic", f"topic {topic[:200]!r} has an invalid organisation or kiosk id")
    try:
        return Topic(org, kiosk_id, TopicKind(kind))
    except ValueError:
        raise ProtocolError("bad_topic", f"topic kind {kind[:40]!r} is unknown") from None


def subscription(kind: TopicKind, org: str = "+", kiosk_id: str = "+", share_group: str | None = None) -> str:
    """A subscription filter; `share_group` makes it an MQTT v5 shared subscription."""
    base = f"{PREFIX}/{VERSION}/{org}/{kiosk_id}/{TopicKind(kind).value}"
    return f"$share/{share_group}/{base}" if share_group else base
