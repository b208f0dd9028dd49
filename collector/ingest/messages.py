"""Pure ingest logic: turn received MQTT messages into what to store or quarantine.

No I/O here, so every rule can be tested without a broker or a database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import UUID

from collector.store.staging_text import copy_line
from protocol import Heartbeat, ProtocolError, Rating, Status, TopicKind, parse_message
from protocol.messages import NIL_INSTANCE

MAX_FUTURE = timedelta(minutes=5)
"""A synchronised kiosk may run a little ahead of us; more than this is a bad clock or a forgery."""
MAX_AGE = timedelta(days=400)
"""Older presses are refused: a kiosk offline for a year has bigger problems than its backlog."""

INGESTED_KINDS = frozenset({TopicKind.RATING, TopicKind.HEARTBEAT, TopicKind.STATUS})

InstanceKey = tuple[str, UUID]
"""(kiosk id, instance): one numbering of ratings. `NIL_INSTANCE` for a kiosk that sends no instance."""


@dataclass(frozen=True, slots=True)
class Inbound:
    """A message as the broker handed it to us. `mid`/`qos` are what we ack after the commit, on the
    connection `generation` it came from (after a reconnect the broker resends it anyway)."""

    topic: str
    payload: bytes
    received_at: datetime
    mid: int = 0
    qos: int = 0
    generation: int = 0


@dataclass(frozen=True, slots=True)
class Rejection:
    """A message we refuse. `rating` is set when the payload was a valid rating of the topic's kiosk
    (refused for what it says, not how): its sequence number then counts as accounted for."""

    inbound: Inbound
    reason: str
    detail: str
    rating: Rating | None = None


@dataclass(frozen=True, slots=True)
class RatingIn:
    inbound: Inbound
    org: str
    rating: Rating
    kiosk_id: str = field(init=False)
    key: InstanceKey = field(init=False)
    """Both read many times a batch: kept, not recomputed (a national day's ingest spent 7% of its Python time
    on them as properties)."""
    staged: str = field(init=False, repr=False)
    """Its line for the batch's COPY, built here: on the thread that reads the broker, while the writers
    wait for PostgreSQL, rather than inside a writer's transaction."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "kiosk_id", self.rating.kiosk_id)
        object.__setattr__(self, "key", (self.rating.kiosk_id, self.rating.instance or NIL_INSTANCE))
        object.__setattr__(self, "staged", copy_line(self.org, self.rating, self.inbound.received_at))


@dataclass(frozen=True, slots=True)
class HeartbeatIn:
    inbound: Inbound
    org: str
    heartbeat: Heartbeat
    kiosk_id: str = field(init=False)
    key: InstanceKey = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "kiosk_id", self.heartbeat.kiosk_id)
        object.__setattr__(self, "key", (self.heartbeat.kiosk_id, self.heartbeat.instance or NIL_INSTANCE))


@dataclass(frozen=True, slots=True)
class StatusIn:
    inbound: Inbound
    org: str
    kiosk_id: str
    status: Status


@dataclass
class Batch:
    """One commit's worth of messages, sorted by what happens to them."""

    ratings: list[RatingIn] = field(default_factory=list)
    heartbeats: list[HeartbeatIn] = field(default_factory=list)
    statuses: list[StatusIn] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ratings) + len(self.heartbeats) + len(self.statuses) + len(self.rejections)


def check_time(rating: Rating, received_at: datetime) -> str | None:
    """Why the press time is absurd, or None. Unsynchronised clocks are corrected later, not judged here."""
    if not rating.clock.synced:
        return None
    if rating.pressed_at > received_at + MAX_FUTURE:
        return f"pressed_at {rating.pressed_at.isoformat()} is in the future (received {received_at.isoformat()})"
    if rating.pressed_at < received_at - MAX_AGE:
        return f"pressed_at {rating.pressed_at.isoformat()} is older than {MAX_AGE.days} days"
    return None


def classify(inbound: Inbound) -> RatingIn | HeartbeatIn | StatusIn | Rejection:
    try:
        topic, payload = parse_message(inbound.topic, inbound.payload)
    except ProtocolError as exc:
        return Rejection(inbound, exc.reason, str(exc))
    if topic.kind not in INGESTED_KINDS:
        return Rejection(inbound, "wrong_direction", f"{topic.kind.value} is published by the collector, not to it")
    if isinstance(payload, Rating):
        if problem := check_time(payload, inbound.received_at):
            return Rejection(inbound, "absurd_time", problem, payload)
        return RatingIn(inbound, topic.org, payload)
    if isinstance(payload, Heartbeat):
        return HeartbeatIn(inbound, topic.org, payload)
    assert isinstance(payload, Status)
    return StatusIn(inbound, topic.org, topic.kiosk_id, payload)


Classified = RatingIn | HeartbeatIn | StatusIn | Rejection


def classify_safely(inbound: Inbound) -> Classified:
    """`classify`, but a bug of ours on some odd input quarantines that message instead of raising."""
    try:
        return classify(inbound)
    except Exception as exc:  # the collector never crashes on input
        return Rejection(inbound, "internal_error", f"{type(exc).__name__}: {exc}"[:500])


def group(items: list[Classified]) -> Batch:
    batch = Batch()
    for item in items:
        if isinstance(item, RatingIn):
            batch.ratings.append(item)
        elif isinstance(item, HeartbeatIn):
            batch.heartbeats.append(item)
        elif isinstance(item, StatusIn):
            batch.statuses.append(item)
        else:
            batch.rejections.append(item)
    return batch


def sort_batch(messages: list[Inbound]) -> Batch:
    return group([classify_safely(m) for m in messages])
