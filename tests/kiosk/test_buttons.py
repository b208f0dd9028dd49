"""The push-button face on gpiozero's MockFactory: pins driven like fingers, lights and outbox rows checked."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from gpiozero.pins.mock import MockFactory, MockPWMPin

from kiosk.buttons.panel import ButtonPanel, build_button_kiosk
from kiosk.buttons.settings import ButtonKioskSettings, GpioWiring
from kiosk.core.flow import Step
from kiosk.core.kiosk import Kiosk
from protocol import Face, Rating
from tests.waiting import wait_for

WIRING = GpioWiring(status_led=19, buzzer=26, reason_buttons=[23, 24], reason_leds=[12, 20])


class Rig:
    def __init__(self, tmp_path: Path, wiring: GpioWiring = WIRING, **settings: Any) -> None:
        self.factory = MockFactory(pin_class=MockPWMPin)
        options = {
            "kiosk_id": "k1",
            "organisation": "test",
            "service_point": "sp-1",
            "data_dir": tmp_path,
            "clock_synced": "yes",
            "cooldown_s": 3.0,
            "gpio": wiring.model_dump(),
            **settings,
        }
        self.kiosk, self.panel = build_button_kiosk(ButtonKioskSettings(**options), self.factory)

    def pin(self, gpio: int) -> MockPWMPin:
        return self.factory.pin(gpio)

    def push(self, gpio: int) -> None:
        self.pin(gpio).drive_low()
        self.pin(gpio).drive_high()
        time.sleep(0.06)  # a finger is slower than the debounce

    def rows(self) -> list[Rating]:
        return [Rating.model_validate_json(p.payload) for p in self.kiosk.outbox.pending(1, 100)]

    def states(self, gpio: int) -> list[float]:
        return [float(s.state) for s in self.pin(gpio).states]

    def close(self) -> None:
        self.panel.close()
        self.kiosk.outbox.close()


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    made = Rig(tmp_path)
    yield made
    made.close()


def test_a_press_is_stored_then_confirmed_by_light_and_beep(rig: Rig) -> None:
    green = rig.pin(5)
    green.clear_states()
    rig.pin(26).clear_states()
    rig.push(17)
    [row] = rig.rows()
    assert (row.face, row.seq, row.service_point, row.reason) == (Face.POSITIVE, 1, "sp-1", None)
    assert rig.pin(6).state == 0
    assert rig.pin(13).state == 0
    # Three flashes, then back to ready (all lit) after the thank-you.
    assert wait_for(lambda: rig.states(5).count(1.0) >= 4 and rig.kiosk.flow.step is Step.IDLE, timeout=5)
    # lit (ready), dark for an instant, three flashes of 0.15 s
    assert rig.states(5)[:8] == [1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0]
    assert all(0.1 < s.timestamp < 0.3 for s in rig.pin(5).states[3:8])
    assert wait_for(lambda: green.state == 1 and rig.pin(6).state == 1, timeout=5)
    assert [s.state for s in rig.pin(26).states] == [False, True, False]  # one beep


def test_presses_in_the_cooldown_are_not_ratings_but_are_counted(rig: Rig) -> None:
    rig.push(27)
    rig.pin(6).clear_states()
    rig.pin(26).clear_states()
    wait_for(lambda: not rig.pin(26).state, timeout=2)
    rig.push(27)
    time.sleep(0.3)  # let the first pattern finish
    rig.push(22)
    assert [r.face for r in rig.rows()] == [Face.NEUTRAL]
    assert rig.kiosk.flow.ignored_presses == 2
    assert rig.kiosk.heartbeat().ignored_presses == 2
    wait_for(lambda: len(rig.pin(26).states) >= 9, timeout=3)
    beeps = [s for s in rig.pin(26).states[1:] if s.state]
    assert len(beeps) == 4  # two clicks per ignored press, not the accepted beep
    flicker = rig.pin(6).states[1:7]
    assert all(s.timestamp < 0.1 for s in flicker[1:])  # fast, unlike the 0.15 s confirmation


def test_contact_bounce_is_one_press_and_not_an_ignored_one(rig: Rig) -> None:
    pin = rig.pin(17)
    for _ in range(5):  # a bouncing contact: edges within microseconds
        pin.drive_low()
        pin.drive_high()
    assert len(rig.rows()) == 1
    assert rig.kiosk.flow.ignored_presses == 0


def test_red_then_a_reason_button(rig: Rig) -> None:
    rig.push(22)
    assert rig.kiosk.flow.step is Step.REASON
    assert rig.rows() == []  # not stored until the citizen has finished
    assert wait_for(lambda: 1.0 in rig.states(12) and 1.0 in rig.states(20), timeout=3)  # reason lights blink
    rig.push(24)
    [row] = rig.rows()
    assert (row.face, row.reason) == (Face.NEGATIVE, "staff-courtesy")


def test_red_twice_skips_the_reason(rig: Rig) -> None:
    rig.push(22)
    rig.push(22)
    [row] = rig.rows()
    assert (row.face, row.reason) == (Face.NEGATIVE, None)
    assert rig.kiosk.flow.ignored_presses == 0


def test_reason_buttons_do_nothing_outside_the_reason_step(rig: Rig) -> None:
    rig.push(23)
    assert rig.rows() == []
    assert rig.kiosk.flow.step is Step.IDLE


def test_status_light_shows_offline_and_online(rig: Rig) -> None:
    status = rig.pin(19)
    assert wait_for(lambda: 0 < status.state < 1, timeout=3)  # pulsing: offline (never connected here)
    assert rig.pin(5).state == 1  # the faces stay lit: citizens can still vote
    rig.kiosk.link._set_online(True)
    assert wait_for(lambda: status.state == 1, timeout=2)


def test_without_a_status_light_the_faces_pulse_while_offline(tmp_path: Path) -> None:
    rig = Rig(tmp_path, GpioWiring())
    try:
        assert wait_for(lambda: 0 < rig.pin(5).state < 1, timeout=3)
        rig.kiosk.link._set_online(True)
        assert wait_for(lambda: rig.pin(5).state == 1, timeout=2)
    finally:
        rig.close()


def test_pins_are_configurable_and_plain_leds_work(tmp_path: Path) -> None:
    wiring = GpioWiring(
        positive_button=4, neutral_button=14, negative_button=15, positive_led=18, neutral_led=None, pwm=False
    )
    rig = Rig(tmp_path, wiring, cooldown_s=0.5, thank_you_s=0.2)
    try:
        rig.kiosk.link._set_online(True)  # online: lights steady, no slow blink in the way
        rig.push(14)
        assert [r.face for r in rig.rows()] == [Face.NEUTRAL]
        time.sleep(0.6)  # cooldown
        assert wait_for(lambda: rig.kiosk.flow.step is Step.IDLE and rig.pin(18).state, timeout=3)  # ready again
        rig.pin(18).clear_states()
        rig.push(4)
        assert [r.face for r in rig.rows()] == [Face.NEUTRAL, Face.POSITIVE]
        expected = [1, 0, 1, 0, 1, 0, 1, 0]
        assert wait_for(lambda: [s.state for s in rig.pin(18).states][:8] == expected, timeout=3)
    finally:
        rig.close()


def test_a_press_that_cannot_be_stored_flashes_everything(rig: Rig) -> None:
    rig.kiosk.outbox.close()
    rig.kiosk.outbox.path.unlink()
    rig.kiosk.outbox.path.mkdir()  # the database is gone and cannot be created again
    rig.pin(5).clear_states()
    rig.push(17)
    assert rig.kiosk.flow.step is Step.IDLE
    assert wait_for(lambda: rig.states(5).count(1.0) >= 4, timeout=3)
    assert wait_for(lambda: rig.pin(26).state, timeout=1)  # the long beep
    assert wait_for(lambda: rig.states(5).count(1.0) >= 11 and rig.pin(5).state == 1, timeout=4)  # ready again


def test_panel_survives_closing_while_lights_blink(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.push(17)
    rig.panel.close()
    rig.panel._on_link(False)  # a late callback from the link thread
    rig.kiosk.outbox.close()


def test_kiosk_wiring_drives_the_flow(tmp_path: Path) -> None:
    rig = Rig(tmp_path, WIRING)
    try:
        assert isinstance(rig.kiosk, Kiosk)
        assert isinstance(rig.panel, ButtonPanel)
        assert rig.kiosk.flow.offered_reasons() == ("waiting-time", "staff-courtesy")  # two reason buttons
        assert rig.kiosk.flow.offered_services() == ()
    finally:
        rig.close()
