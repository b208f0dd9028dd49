"""The contract between the kiosk core and its faces (push buttons, touch screen, simulator).

A face builds a `Kiosk` (see `kiosk.core.kiosk`) and from then on uses only `KioskCore`:
it reads what to offer, drives the rating flow, reads the state for staff, and hears what
happens through one listener. Faces import from this module, never from the flow, link,
outbox or remote-config modules behind it (tests/kiosk/test_face_api.py checks), so the
core can change inside without a face noticing, and the core knows nothing of any face.

Threads: a listener runs on the thread where the event happened (flow events on the
thread that drove the flow, `LinkChanged` and `ConfigChanged` on the MQTT thread). It
must return quickly; a face that draws hops to its UI thread. Only the flow calls
(`press_face`, `choose_reason`) touch the disk, for the durable write of a rating.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from kiosk.core.flow import FlowEvent, PressAccepted, PressFailed, PressIgnored, Step, StepChanged
from kiosk.core.outbox import OutboxError
from kiosk.core.outbox import adopt as adopt_outbox
from kiosk.core.remote_config import FlowConfig
from protocol import Face
from protocol.messages import ReasonOption, ServiceOption

__all__ = [
    "ConfigChanged",
    "Face",
    "FlowConfig",
    "FlowEvent",
    "KioskCore",
    "KioskEvent",
    "KioskState",
    "LinkChanged",
    "OutboxError",
    "PressAccepted",
    "PressFailed",
    "PressIgnored",
    "ReasonOption",
    "ServiceOption",
    "Step",
    "StepChanged",
    "adopt_outbox",
]


@dataclass(frozen=True)
class LinkChanged:
    """The MQTT link came up (True) or went down."""

    online: bool


@dataclass(frozen=True)
class ConfigChanged:
    """A new remote configuration is in use: services, reasons, languages or cooldown may differ."""

    config: FlowConfig


KioskEvent = FlowEvent | LinkChanged | ConfigChanged


@dataclass(frozen=True)
class KioskState:
    """What staff see on a kiosk's maintenance screen (and nothing a citizen did)."""

    kiosk_id: str
    organisation: str
    service_point: str
    software_version: str
    broker: str
    """host:port of the MQTT broker."""
    online: bool
    link_error: str | None
    outbox_depth: int
    """Ratings taken but not yet confirmed by the collector."""
    last_seq: int
    watermark: int
    """The collector's acknowledged watermark: every rating up to it is stored."""
    oldest_pending_age_s: float | None
    config_revision: int | None
    """None while the kiosk runs on its local settings."""
    config_error: str | None
    clock_synced: bool
    clock_now: datetime
    ignored_presses: int


class KioskCore(Protocol):
    """What a face may use of the kiosk core. `Kiosk` is the implementation."""

    @property
    def kiosk_id(self) -> str: ...

    @property
    def step(self) -> Step:
        """Where the rating flow is now."""
        ...

    @property
    def online(self) -> bool: ...

    @property
    def alive(self) -> bool:
        """The core's background work (the MQTT link) runs: what a watchdog checks."""
        ...

    def flow_config(self) -> FlowConfig:
        """The configuration in use (remote, else local settings)."""
        ...

    def offered_services(self) -> tuple[ServiceOption, ...]:
        """Services to choose from, in order; empty when the flow has no service step."""
        ...

    def offered_reasons(self) -> tuple[ReasonOption, ...]:
        """Reasons to offer after a red face, in order; empty when there is no reason step."""
        ...

    def ready_in(self) -> float:
        """Seconds until a face press counts again (the cooldown); 0 when it counts now."""
        ...

    def begin(self) -> None: ...

    def choose_service(self, service: str) -> None:
        """ValueError when `service` is not offered (any more)."""
        ...

    def press_face(self, face: Face) -> FlowEvent: ...

    def choose_reason(self, reason: str | None) -> FlowEvent | None:
        """A reason code, or None to skip; ValueError when the code is not offered (any more)."""
        ...

    def cancel(self) -> None:
        """The citizen walks away or goes back: to idle, recording nothing (a red face already given is kept)."""
        ...

    def tick(self) -> None:
        """Apply the flow's timeouts; call it a few times a second."""
        ...

    def state(self) -> KioskState:
        """A snapshot for staff. Reads the outbox database: call it off the UI thread."""
        ...

    def add_listener(self, listener: Callable[[KioskEvent], None]) -> None: ...

    def start(self) -> None: ...

    def stop(self) -> None: ...
