"""The rating flow, as a small state machine that knows nothing of screens or GPIO.

    idle -> [service] -> face -> [reason] -> thank you -> idle

- The service step appears only when the kiosk offers several services and its face
  can show them (a button kiosk cannot); the reason step only after a red face, when
  reasons are configured and the face can offer them. "Skip" is always possible.
- A rating is recorded (durably, see `Outbox`) before the flow reaches "thank you".
- Timeouts on the service and face steps return to idle and record nothing. On the
  reason step the red face has been given and the reason is optional, so a timeout
  there records the red face without a reason, exactly as "skip" would: otherwise the
  citizens who walk away unhappy would be the ones erased.
- Cooldown: a face press less than `cooldown_s` after the last accepted one is not a
  rating; it is counted (`ignored_presses`) and reported in the heartbeat.

Faces drive it with `begin`/`choose_service`/`press_face`/`choose_reason`/`cancel` and call
`tick()` regularly; they learn what happened from events. Listeners run on the
caller's thread, inside the flow's lock: they must return quickly (hop to a UI
thread if they draw).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from kiosk.core.outbox import OutboxError, OutboxFull
from kiosk.core.remote_config import FlowConfig
from protocol import Face, Rating

log = logging.getLogger(__name__)


class Step(StrEnum):
    IDLE = "idle"
    SERVICE = "service"
    FACE = "face"
    REASON = "reason"
    THANK_YOU = "thank_you"


@dataclass(frozen=True)
class Choice:
    """A finished citizen's judgment, ready to become a rating."""

    face: Face
    service: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Timeouts:
    service_s: float = 30
    face_s: float = 30
    reason_s: float = 10
    thank_you_s: float = 2


@dataclass(frozen=True)
class StepChanged:
    step: Step
    previous: Step
    timed_out: bool = False


@dataclass(frozen=True)
class PressAccepted:
    rating: Rating


@dataclass(frozen=True)
class PressIgnored:
    face: Face
    why: str
    """`cooldown` (counted in the heartbeat) or `busy` (the flow was on another step)."""


@dataclass(frozen=True)
class PressFailed:
    face: Face
    error: str
    full: bool = False
    """The outbox cannot take more (disk full): staff must act, the kiosk cannot recover alone."""


FlowEvent = StepChanged | PressAccepted | PressIgnored | PressFailed


class Flow:
    def __init__(
        self,
        config: Callable[[], FlowConfig],
        record: Callable[[Choice], Rating],
        timeouts: Timeouts | None = None,
        *,
        can_choose_service: bool = True,
        reason_slots: int | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """`reason_slots`: how many reasons the face can offer (None: all; 0: no reason step)."""
        self._config = config
        self._record = record
        self.timeouts = timeouts or Timeouts()
        self._can_choose_service = can_choose_service
        self._reason_slots = reason_slots
        self._now = monotonic
        self._lock = threading.RLock()
        self._listeners: list[Callable[[FlowEvent], None]] = []
        self.step = Step.IDLE
        self._entered = monotonic()
        self._service: str | None = None
        self._face: Face | None = None
        self._last_accepted: float | None = None
        self.ignored_presses = 0

    def add_listener(self, listener: Callable[[FlowEvent], None]) -> None:
        self._listeners.append(listener)

    def offered_services(self) -> tuple[str, ...]:
        services = tuple(s.id for s in self._config().services)
        return services if self._can_choose_service and len(services) > 1 else ()

    def offered_reasons(self) -> tuple[str, ...]:
        codes = self._config().reason_codes()
        return codes if self._reason_slots is None else codes[: self._reason_slots]

    def ready_in(self) -> float:
        """Seconds until a face press would count (0: now); what a waiting citizen sees on the lights."""
        with self._lock:
            if self._last_accepted is None:
                return 0.0
            return max(0.0, self._last_accepted + self._config().cooldown_s - self._now())

    def begin(self) -> None:
        """A citizen starts (touches the idle screen): the service step if there is one, else the faces."""
        with self._lock:
            if self.step in (Step.IDLE, Step.THANK_YOU):
                self._service = self._face = None
                self._go(Step.SERVICE if self.offered_services() else Step.FACE)

    def choose_service(self, service: str) -> None:
        with self._lock:
            if self.step is not Step.SERVICE:
                return
            if service not in self.offered_services():
                raise ValueError(f"service {service!r} is not offered ({', '.join(self.offered_services())})")
            self._service = service
            self._go(Step.FACE)

    def press_face(self, face: Face) -> FlowEvent:
        """A face pressed. From idle (or during thank-you) it starts a new rating, unless services must be chosen."""
        with self._lock:
            now = self._now()
            if self.step in (Step.SERVICE, Step.REASON) or (self.step is not Step.FACE and self.offered_services()):
                return self._emit(PressIgnored(face, "busy"))
            cooldown = self._config().cooldown_s
            if self._last_accepted is not None and now - self._last_accepted < cooldown:
                self.ignored_presses += 1
                return self._emit(PressIgnored(face, "cooldown"))
            if self.step is not Step.FACE:
                self._service = None
            self._face = face
            self._last_accepted = now
            if face is Face.NEGATIVE and self.offered_reasons():
                return self._go(Step.REASON)
            return self._finish(None)

    def choose_reason(self, reason: str | None) -> FlowEvent | None:
        """The reason after red, or None for "skip"."""
        with self._lock:
            if self.step is not Step.REASON:
                return None
            if reason is not None and reason not in self.offered_reasons():
                raise ValueError(f"reason {reason!r} is not offered ({', '.join(self.offered_reasons())})")
            return self._finish(reason)

    def cancel(self) -> None:
        """The citizen goes back or away: to idle, recording nothing; on the reason step the red face is kept."""
        with self._lock:
            if self.step is Step.REASON:
                self._finish(None)
            elif self.step is not Step.IDLE:
                self._go(Step.IDLE)

    def tick(self) -> None:
        """Apply timeouts; faces call this a few times a second."""
        with self._lock:
            elapsed = self._now() - self._entered
            t = self.timeouts
            choosing = (self.step is Step.SERVICE and elapsed >= t.service_s) or (
                self.step is Step.FACE and elapsed >= t.face_s
            )
            if choosing:
                self._go(Step.IDLE, timed_out=True)
            elif self.step is Step.REASON and elapsed >= t.reason_s:
                self._finish(None, timed_out=True)
            elif self.step is Step.THANK_YOU and elapsed >= t.thank_you_s:
                self._go(Step.IDLE)

    def _finish(self, reason: str | None, timed_out: bool = False) -> FlowEvent:
        assert self._face is not None
        choice = Choice(self._face, self._service, reason)
        self._service = self._face = None
        try:
            rating = self._record(choice)
        except (OutboxError, ValueError) as exc:  # ValueError: a rating the configuration made invalid
            log.error("press of %s could not be stored: %s", choice.face.value, exc)
            self._last_accepted = None
            self._go(Step.IDLE, timed_out=timed_out)
            return self._emit(PressFailed(choice.face, str(exc), full=isinstance(exc, OutboxFull)))
        event = self._emit(PressAccepted(rating))
        self._go(Step.THANK_YOU, timed_out=timed_out)
        return event

    def _go(self, step: Step, timed_out: bool = False) -> FlowEvent:
        previous, self.step = self.step, step
        self._entered = self._now()
        if step is Step.IDLE:
            self._service = self._face = None
        return self._emit(StepChanged(step, previous, timed_out))

    def _emit(self, event: FlowEvent) -> FlowEvent:
        for listener in self._listeners:
            try:
                listener(event)
            except Exception:  # a face's bug must not lose the rating flow
                log.exception("flow listener failed on %s", event)
        return event
