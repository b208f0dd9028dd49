"""The rating flow: steps, timeouts that record nothing half-finished, cooldown, and a failing disk."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from kiosk.core.flow import Choice, Flow, FlowEvent, PressAccepted, PressFailed, PressIgnored, Step, Timeouts
from kiosk.core.outbox import OutboxError
from kiosk.core.remote_config import FlowConfig
from protocol import Channel, Face, KioskClock, Rating
from protocol.messages import ReasonOption, ServiceOption

REASONS = tuple(ReasonOption(code=c, labels={"it": c}) for c in ("waiting-time", "staff-courtesy"))
SERVICES = tuple(ServiceOption(id=s, labels={"it": s}) for s in ("anagrafe", "tributi"))


class Harness:
    """A flow with a hand-driven clock, recording into a list instead of an outbox."""

    def __init__(self, config: FlowConfig, **kwargs: object) -> None:
        self.now = 1000.0
        self.config = config
        self.recorded: list[Choice] = []
        self.events: list[FlowEvent] = []
        self.fail = False
        self.flow = Flow(
            lambda: self.config,
            self.record,
            Timeouts(service_s=20, face_s=20, reason_s=10, thank_you_s=2),
            monotonic=lambda: self.now,
            **kwargs,  # type: ignore[arg-type]
        )
        self.flow.add_listener(self.events.append)

    def record(self, choice: Choice) -> Rating:
        if self.fail:
            raise OutboxError("disk full")
        self.recorded.append(choice)
        return Rating(
            event_id=uuid.uuid4(),
            kiosk_id="k1",
            seq=len(self.recorded),
            service_point="sp",
            service=choice.service,
            face=choice.face,
            reason=choice.reason,
            pressed_at=datetime.now(UTC),
            clock=KioskClock(boot_id=uuid.uuid4(), uptime_ms=0, synced=True),
        )

    def step(self) -> Step:
        return self.flow.step

    def wait(self, seconds: float) -> None:
        self.now += seconds
        self.flow.tick()


def config(services: tuple[ServiceOption, ...] = (), cooldown: float = 0.0) -> FlowConfig:
    return FlowConfig("sp", Channel.COUNTER, services, REASONS, ("it", "en"), cooldown)


def test_one_face_is_one_rating_then_thank_you_then_idle() -> None:
    h = Harness(config())
    event = h.flow.press_face(Face.POSITIVE)
    assert isinstance(event, PressAccepted)
    assert h.recorded == [Choice(Face.POSITIVE)]
    assert h.step() is Step.THANK_YOU
    h.wait(1.9)
    assert h.step() is Step.THANK_YOU
    h.wait(0.2)
    assert h.step() is Step.IDLE


def test_red_asks_for_a_reason_and_records_it() -> None:
    h = Harness(config())
    h.flow.press_face(Face.NEGATIVE)
    assert h.step() is Step.REASON
    assert h.recorded == []
    assert h.flow.offered_reasons() == ("waiting-time", "staff-courtesy")
    h.flow.choose_reason("staff-courtesy")
    assert h.recorded == [Choice(Face.NEGATIVE, None, "staff-courtesy")]
    assert h.step() is Step.THANK_YOU


def test_skip_records_red_without_reason() -> None:
    h = Harness(config())
    h.flow.press_face(Face.NEGATIVE)
    h.flow.choose_reason(None)
    assert h.recorded == [Choice(Face.NEGATIVE)]


def test_reason_step_timeout_keeps_the_red_face_as_skip_would() -> None:
    h = Harness(config())
    h.flow.press_face(Face.NEGATIVE)
    h.wait(9.9)
    assert h.recorded == []
    h.wait(0.2)
    assert h.recorded == [Choice(Face.NEGATIVE)]
    assert h.step() is Step.THANK_YOU


def test_unknown_reason_is_refused() -> None:
    h = Harness(config())
    h.flow.press_face(Face.NEGATIVE)
    with pytest.raises(ValueError, match="not offered"):
        h.flow.choose_reason("made-up")
    assert h.step() is Step.REASON


def test_no_reason_step_when_the_face_offers_none() -> None:
    h = Harness(config(), reason_slots=0)
    h.flow.press_face(Face.NEGATIVE)
    assert h.recorded == [Choice(Face.NEGATIVE)]


def test_reason_slots_limit_what_is_offered() -> None:
    h = Harness(config(), reason_slots=1)
    assert h.flow.offered_reasons() == ("waiting-time",)


def test_service_step_only_when_several_services() -> None:
    single = Harness(config(SERVICES[:1]))
    single.flow.begin()
    assert single.step() is Step.FACE
    several = Harness(config(SERVICES))
    several.flow.begin()
    assert several.step() is Step.SERVICE
    several.flow.choose_service("tributi")
    several.flow.press_face(Face.NEUTRAL)
    assert several.recorded == [Choice(Face.NEUTRAL, "tributi")]


def test_a_face_press_without_the_service_step_is_not_taken() -> None:
    h = Harness(config(SERVICES))
    event = h.flow.press_face(Face.POSITIVE)
    assert isinstance(event, PressIgnored)
    assert event.why == "busy"
    assert h.recorded == []
    assert h.flow.ignored_presses == 0


def test_buttons_face_skips_the_service_step() -> None:
    h = Harness(config(SERVICES), can_choose_service=False)
    h.flow.press_face(Face.POSITIVE)
    assert h.recorded == [Choice(Face.POSITIVE)]


@pytest.mark.parametrize("step_timeout", ["service", "face"])
def test_timeouts_before_the_face_record_nothing(step_timeout: str) -> None:
    h = Harness(config(SERVICES))
    h.flow.begin()
    if step_timeout == "face":
        h.flow.choose_service("anagrafe")
    h.wait(21)
    assert h.step() is Step.IDLE
    assert h.recorded == []
    last = h.events[-1]
    assert getattr(last, "timed_out", False)


def test_cooldown_ignores_and_counts_presses() -> None:
    h = Harness(config(cooldown=3.0))
    h.flow.press_face(Face.NEGATIVE)
    h.flow.choose_reason(None)
    for _ in range(4):
        h.now += 0.5
        event = h.flow.press_face(Face.NEGATIVE)
        assert isinstance(event, PressIgnored)
        assert event.why == "cooldown"
    assert h.flow.ignored_presses == 4
    assert h.flow.ready_in() == pytest.approx(1.0)
    h.now += 1.0
    assert isinstance(h.flow.press_face(Face.POSITIVE), PressAccepted)
    assert [c.face for c in h.recorded] == [Face.NEGATIVE, Face.POSITIVE]


def test_remote_cooldown_applies_at_once() -> None:
    h = Harness(config(cooldown=0.0))
    h.flow.press_face(Face.POSITIVE)
    h.config = config(cooldown=10.0)
    assert isinstance(h.flow.press_face(Face.POSITIVE), PressIgnored)


def test_a_press_that_cannot_be_stored_is_not_thanked() -> None:
    h = Harness(config())
    h.fail = True
    event = h.flow.press_face(Face.POSITIVE)
    assert isinstance(event, PressFailed)
    assert h.step() is Step.IDLE
    h.fail = False
    assert isinstance(h.flow.press_face(Face.POSITIVE), PressAccepted)


def test_a_broken_listener_does_not_lose_the_rating() -> None:
    h = Harness(config())

    def broken(_event: FlowEvent) -> None:
        raise RuntimeError("screen fell off")

    h.flow.add_listener(broken)
    assert isinstance(h.flow.press_face(Face.POSITIVE), PressAccepted)
    assert len(h.recorded) == 1
