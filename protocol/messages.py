"""Payload models of protocol v1.

Every model forbids unknown fields and validates strictly, so a kiosk with a
bug is told exactly which field is wrong instead of having its data guessed at.
Adding an optional field is a compatible change within v1; anything else needs
a new topic version.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal, Self
from uuid import UUID

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator

SLUG_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"
Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN)]
"""Lower-case identifier used in topics and payloads: organisation, kiosk, service point, service, reason."""

LanguageCode = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")]
Text = Annotated[str, StringConstraints(pattern=r"^[^\x00-\x1f\x7f]*$")]
"""Free text for people or logs: no control characters (they break terminals, logs and JSON columns)."""
Label = Annotated[Text, StringConstraints(min_length=1, max_length=120, strip_whitespace=True)]
Labels = Annotated[dict[LanguageCode, Label], Field(min_length=1, max_length=12)]

MAX_SEQ = 2**53 - 1
"""Largest sequence number: stays exact in every JSON parser, lasts a kiosk forever."""
MAX_COUNT = 10**9
"""Bound of a counter a kiosk reports about itself."""
MAX_JSON_INT = 2**53 - 1
"""Bound of every other integer (uptime, depths, counters, revisions): exact in every JSON parser, and
within the PostgreSQL bigint column or JSON field that keeps it. An unbounded number once stopped ingest."""
MAX_SECONDS = 1e10
"""Bound of a duration in seconds (over three centuries): finite, and room for any clock error."""
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 1, 1, tzinfo=UTC)
"""Times are refused outside these (UTC): no device clock says earlier, and later ones break arithmetic."""
NIL_INSTANCE = UUID(int=0)
"""Reserved: the collector's name for the one sequence of a kiosk that sends no `instance` (protocol 1.0)."""

INSTANCE_DESCRIPTION = (
    "The kiosk's outbox instance: a random id drawn once when its outbox is created. Sequence numbers, gaps and "
    "watermarks count per (kiosk, instance), so two devices behind one kiosk id never release each other's "
    "ratings. Absent: the kiosk's only sequence (protocol 1.0 kiosks)."
)


def _within_range(value: datetime) -> datetime:
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        raise ValueError("is not a representable UTC time") from None
    if not EARLIEST <= utc < LATEST:
        raise ValueError(f"must lie between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d} (UTC)")
    return value


def _say_range(schema: dict[str, Any]) -> None:
    schema["description"] = f"{schema.get('description', '')} Between 1970-01-01 and 9999-01-01 UTC.".lstrip()


Instant = Annotated[AwareDatetime, AfterValidator(_within_range), Field(json_schema_extra=_say_range)]
"""A time with its offset, within the range every part of the system can compute with."""


def _not_nil(instance: UUID | None) -> None:
    if instance == NIL_INSTANCE:
        raise ValueError("instance must not be the nil UUID (it names the sequence of kiosks that send none)")


class Face(StrEnum):
    """The three faces. Green / yellow / red on the device; told apart by shape, not only colour."""

    POSITIVE = "positive"
    NEUTRAL = "neutral"
    NEGATIVE = "negative"


class Channel(StrEnum):
    """Where the judgment was given: at a counter (kiosks), by phone, on the web, in an app, on a paper form."""

    COUNTER = "counter"
    PHONE = "phone"
    WEB = "web"
    APP = "app"
    PAPER = "paper"


class WireModel(BaseModel):
    """Base of every payload: strict, closed, immutable."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)


class KioskClock(WireModel):
    """A reading of the kiosk's clocks, so the collector can place a press in time.

    A Raspberry Pi has no real-time clock: until NTP answers, its wall clock may say
    1970. The monotonic uptime since boot is always right, so a press is located by
    (boot_id, uptime_ms) and the collector anchors each boot to its own clock when a
    heartbeat of that boot arrives.
    """

    boot_id: UUID = Field(description="Random id drawn at each start of the kiosk software.")
    uptime_ms: int = Field(ge=0, le=MAX_JSON_INT, description="Milliseconds since that start, from a monotonic clock.")
    synced: bool = Field(description="True when the wall clock is known to be synchronised (NTP).")


class Rating(WireModel):
    """One accepted press of a face: the unit of everything the collector counts."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "event_id": "0b4f3c1e-4a43-4a55-9b87-2f6c2f1f6a10",
                    "kiosk_id": "roma-anagrafe-k1",
                    "instance": "3f2a9c64-1b7e-4d0a-8c55-0e9d7b6a4f21",
                    "seq": 1,
                    "service_point": "roma-anagrafe-sportello-3",
                    "service": "carta-identita",
                    "channel": "counter",
                    "face": "negative",
                    "reason": "waiting-time",
                    "pressed_at": "2026-11-23T09:41:07.250Z",
                    "clock": {
                        "boot_id": "6f1d3c7e-8a1b-4c9e-9d3f-5b2a7e4c1d00",
                        "uptime_ms": 3600125,
                        "synced": True,
                    },
                }
            ]
        }
    )

    event_id: UUID = Field(description="Unique per press, drawn by the kiosk: the idempotency key everywhere.")
    kiosk_id: Slug = Field(description="The kiosk that took the press; must match the topic.")
    instance: UUID | None = Field(default=None, description=INSTANCE_DESCRIPTION)
    seq: int = Field(
        ge=1, le=MAX_SEQ, description="Per-instance sequence: 1 for the instance's first press, +1 per press after."
    )
    service_point: Slug = Field(description="The counter (or channel endpoint) being judged.")
    service: Slug | None = Field(default=None, description="The service the citizen came for, if chosen.")
    channel: Channel = Field(default=Channel.COUNTER, description="counter, phone, web, app or paper.")
    face: Face = Field(description="positive (green), neutral (yellow) or negative (red).")
    reason: Slug | None = Field(default=None, description="Reason code, only after a negative face.")
    pressed_at: Instant = Field(description="The kiosk's wall clock at the press, with its offset.")
    clock: KioskClock = Field(description="Clock reading at the press, to correct an unsynchronised kiosk.")

    @model_validator(mode="after")
    def _reason_only_after_red(self) -> Self:
        if self.reason is not None and self.face is not Face.NEGATIVE:
            raise ValueError("reason is only allowed with face 'negative'")
        _not_nil(self.instance)
        return self


class Status(WireModel):
    """Retained availability of a kiosk; the broker publishes `offline` as its last will."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"state": "online", "version": "0.1.0"}, {"state": "offline"}]}
    )

    state: Literal["online", "offline"]
    version: Text | None = Field(default=None, max_length=40, description="Kiosk software version.")


class Heartbeat(WireModel):
    """Periodic health report of a kiosk; also anchors its clock (see `KioskClock`)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kiosk_id": "roma-anagrafe-k1",
                    "instance": "3f2a9c64-1b7e-4d0a-8c55-0e9d7b6a4f21",
                    "sent_at": "2026-11-23T09:45:00Z",
                    "clock": {
                        "boot_id": "6f1d3c7e-8a1b-4c9e-9d3f-5b2a7e4c1d00",
                        "uptime_ms": 3832875,
                        "synced": True,
                    },
                    "software_version": "0.1.0",
                    "last_seq": 1,
                    "outbox_depth": 0,
                    "lowest_held_seq": 2,
                    "oldest_pending_age_s": None,
                    "ignored_presses": 3,
                    "config_revision": 7,
                    "config_error": None,
                    "session_takeovers": 0,
                }
            ]
        }
    )

    kiosk_id: Slug
    instance: UUID | None = Field(default=None, description=INSTANCE_DESCRIPTION)
    sent_at: Instant = Field(description="The kiosk's wall clock when sending.")
    clock: KioskClock
    software_version: Text = Field(max_length=40)
    last_seq: int = Field(ge=0, le=MAX_SEQ, description="Highest sequence number of this instance so far.")
    outbox_depth: int = Field(ge=0, le=MAX_JSON_INT, description="Presses not yet confirmed by the collector's ack.")
    lowest_held_seq: int | None = Field(
        default=None,
        ge=1,
        le=MAX_SEQ,
        description="Lowest sequence number of this instance the kiosk still holds (last_seq + 1 when it holds "
        "none, within the bound). The collector closes as lost what is missing below it (after a restore of its "
        "database to an older point) and moves the watermark on. Absent: nothing is closed as lost for this kiosk.",
    )
    oldest_pending_age_s: float | None = Field(
        default=None, ge=0, le=MAX_SECONDS, description="Age of the oldest of them."
    )
    ignored_presses: int = Field(
        ge=0, le=MAX_JSON_INT, description="Presses ignored by the cooldown since the kiosk started."
    )
    config_revision: int | None = Field(
        default=None, ge=0, le=MAX_JSON_INT, description="Revision of the config in use."
    )
    config_error: Text | None = Field(
        default=None, max_length=500, description="Why the last config received was rejected, if it was."
    )
    session_takeovers: int | None = Field(
        default=None,
        ge=0,
        le=MAX_COUNT,
        description="Times since the kiosk started that the broker closed its connection because another client "
        "connected with its id (MQTT v5 reason 'Session taken over'): a sign of two devices with one identity.",
    )

    @model_validator(mode="after")
    def _instance_not_nil(self) -> Self:
        _not_nil(self.instance)
        if self.lowest_held_seq is not None and self.lowest_held_seq > self.last_seq + 1:
            raise ValueError("lowest_held_seq must not exceed last_seq + 1")
        return self


class ServiceOption(WireModel):
    """A service the citizen can pick on a kiosk that serves several."""

    id: Slug
    labels: Labels


class ReasonOption(WireModel):
    """A reason the citizen can give after a red face."""

    code: Slug
    labels: Labels


class KioskConfig(WireModel):
    """Remote configuration of one kiosk, retained by the broker, published by the collector."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "revision": 7,
                    "service_point": "roma-anagrafe-sportello-3",
                    "channel": "counter",
                    "services": [
                        {"id": "carta-identita", "labels": {"it": "Carta d'identità", "en": "Identity card"}},
                        {"id": "anagrafe", "labels": {"it": "Anagrafe", "en": "Registry office"}},
                    ],
                    "reasons": [
                        {"code": "waiting-time", "labels": {"it": "Tempo di attesa", "en": "Waiting time"}},
                    ],
                    "languages": ["it", "en"],
                    "cooldown_s": 3.0,
                }
            ]
        }
    )

    revision: int = Field(
        ge=1, le=MAX_JSON_INT, description="Increases with every change; a kiosk ignores older revisions."
    )
    service_point: Slug
    channel: Channel = Channel.COUNTER
    services: list[ServiceOption] = Field(default_factory=list, max_length=12)
    reasons: list[ReasonOption] = Field(default_factory=list, max_length=8)
    languages: list[LanguageCode] = Field(default_factory=lambda: ["it", "en"], min_length=1, max_length=8)
    cooldown_s: float = Field(default=3.0, ge=0, le=600, description="Minimum interval between accepted presses.")

    @model_validator(mode="after")
    def _unique_ids(self) -> Self:
        for name, ids in (
            ("services", [s.id for s in self.services]),
            ("reasons", [r.code for r in self.reasons]),
            ("languages", list(self.languages)),
        ):
            if len(set(ids)) != len(ids):
                raise ValueError(f"{name} contains duplicates")
        return self


class Ack(WireModel):
    """Retained watermark from the collector: everything up to `seq` of one instance is stored, without gaps."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kiosk_id": "roma-anagrafe-k1",
                    "instance": "3f2a9c64-1b7e-4d0a-8c55-0e9d7b6a4f21",
                    "seq": 1,
                    "at": "2026-11-23T09:41:08Z",
                }
            ]
        }
    )

    kiosk_id: Slug
    instance: UUID | None = Field(
        default=None,
        description="The instance whose ratings this watermark covers; a kiosk ignores a watermark naming another "
        "instance (or none, once it has one). Absent: the sequence of a kiosk that sends no instance.",
    )
    seq: int = Field(ge=0, le=MAX_SEQ, description="Every sequence number <= seq of that instance is durably stored.")
    at: Instant = Field(description="The collector's clock when the watermark was computed.")
    identity_conflict: bool | None = Field(
        default=None,
        description="True while the collector hears more than one device behind this kiosk id: a kiosk whose "
        "connection is then cut (by its twin taking the same MQTT client id) waits longer before reconnecting.",
    )

    @model_validator(mode="after")
    def _instance_not_nil(self) -> Self:
        _not_nil(self.instance)
        return self


def example(model: type[WireModel], index: int = 0) -> WireModel:
    """The documented example of a payload model, validated (used by docs and tests)."""
    extra = model.model_config.get("json_schema_extra")
    assert isinstance(extra, dict)
    examples = extra["examples"]
    assert isinstance(examples, list)
    return model.model_validate_json(json.dumps(examples[index]))


__all__ = [
    "Ack",
    "Channel",
    "Face",
    "Heartbeat",
    "KioskClock",
    "KioskConfig",
    "Rating",
    "ReasonOption",
    "ServiceOption",
    "Slug",
    "Status",
    "WireModel",
    "example",
]
