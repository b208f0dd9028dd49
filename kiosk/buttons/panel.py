"""The push-button face: gpiozero buttons, lights and buzzer driving a kiosk's rating flow.

A face press goes straight to the flow (a button kiosk has no service step). With
reason buttons wired, a red press opens the reason step: a reason button picks that
reason (in the order of the configured list), the red button again skips. Lights and
beeps follow the flow's events (see `signals`). The pin factory is gpiozero's
default on a Raspberry Pi; tests and the simulator pass a `MockFactory`.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable

from gpiozero import LED, PWMLED, Button, Buzzer
from gpiozero.pins import Factory

from kiosk.buttons.settings import ButtonKioskSettings, GpioWiring
from kiosk.buttons.signals import Light, Signals
from kiosk.core.clock import Clock
from kiosk.core.face_api import (
    Face,
    KioskCore,
    KioskEvent,
    LinkChanged,
    PressAccepted,
    PressFailed,
    PressIgnored,
    Step,
    StepChanged,
)
from kiosk.core.kiosk import Kiosk

log = logging.getLogger(__name__)

TICK_S = 0.1


class ButtonPanel:
    def __init__(self, kiosk: KioskCore, wiring: GpioWiring, pin_factory: Factory | None = None) -> None:
        self.kiosk = kiosk
        self.wiring = wiring
        self._stop = threading.Event()
        self._lights = threading.Lock()  # signals are never changed while close() closes the devices
        self._factory = pin_factory
        bounce = wiring.bounce_s or None
        self.buttons: dict[Face, Button] = {}
        for face in Face:
            button = Button(wiring.button(face), pull_up=True, bounce_time=bounce, pin_factory=pin_factory)
            button.when_pressed = self._guarded(f"face:{face.value}", functools.partial(self._face_pressed, face))
            self.buttons[face] = button
        self.reason_buttons: list[Button] = []
        for index, pin in enumerate(wiring.reason_buttons):
            button = Button(pin, pull_up=True, bounce_time=bounce, pin_factory=pin_factory)
            button.when_pressed = self._guarded(f"reason:{index}", functools.partial(self._reason_pressed, index))
            self.reason_buttons.append(button)
        faces = {face: self._light(led) for face in Face if (led := wiring.led(face)) is not None}
        self.signals = Signals(
            faces,
            [self._light(pin) for pin in wiring.reason_leds],
            self._light(wiring.status_led) if wiring.status_led is not None else None,
            Buzzer(wiring.buzzer, pin_factory=pin_factory) if wiring.buzzer is not None else None,
        )
        self._last_edge: dict[str, float] = {}
        self._ticker = threading.Thread(target=self._tick, name=f"panel-{kiosk.kiosk_id}", daemon=True)
        kiosk.add_listener(self._on_event)
        self.signals.ready(kiosk.online)
        self._ticker.start()

    def _light(self, pin: int) -> Light:
        if self.wiring.pwm:
            return PWMLED(pin, pin_factory=self._factory)
        return LED(pin, pin_factory=self._factory)

    def _guarded(self, name: str, action: Callable[[], object]) -> Callable[[], None]:
        """Drop contact bounce (an edge within `bounce_s` of the last one) before it can count as a press."""

        def pressed() -> None:
            if self._stop.is_set():
                return
            now = time.monotonic()
            last = self._last_edge.get(name)
            self._last_edge[name] = now
            if last is not None and now - last < self.wiring.bounce_s:
                return
            try:
                action()
            except Exception:  # a gpiozero callback thread must never die
                log.exception("press on %s failed", name)

        return pressed

    def _face_pressed(self, face: Face) -> None:
        kiosk = self.kiosk
        if kiosk.step is Step.REASON:
            if face is Face.NEGATIVE:
                kiosk.choose_reason(None)  # red again: skip the reason
            return
        kiosk.press_face(face)

    def _reason_pressed(self, index: int) -> None:
        kiosk = self.kiosk
        offered = kiosk.offered_reasons()
        if kiosk.step is Step.REASON and index < len(offered):
            kiosk.choose_reason(offered[index].code)

    def _on_event(self, event: KioskEvent) -> None:
        if isinstance(event, LinkChanged):
            self._on_link(event.online)
            return
        with self._lights:
            if not self._stop.is_set():
                self._show(event)

    def _show(self, event: KioskEvent) -> None:
        if isinstance(event, PressAccepted):
            self.signals.accepted(event.rating.face)
        elif isinstance(event, PressIgnored):
            self.signals.ignored(event.face)
        elif isinstance(event, PressFailed):
            self.signals.failed()
        elif isinstance(event, StepChanged):
            if event.step is Step.REASON:
                self.signals.ask_reason(len(self.kiosk.offered_reasons()))
            elif event.step is Step.IDLE and event.previous is not Step.IDLE:
                due = self.signals.restore_due
                if due is None or time.monotonic() >= due:
                    self.signals.ready(self.kiosk.online)

    def _on_link(self, online: bool) -> None:
        with self._lights:
            if self._stop.is_set():
                return
            if self.kiosk.step is Step.IDLE:
                self.signals.ready(online)
            else:
                self.signals.link(online)

    def _tick(self) -> None:
        while not self._stop.wait(TICK_S):
            try:
                self.kiosk.tick()
                due = self.signals.restore_due
                if due is not None and time.monotonic() >= due and self.kiosk.step is Step.IDLE:
                    with self._lights:
                        if not self._stop.is_set():
                            self.signals.ready(self.kiosk.online)
            except Exception:
                log.exception("panel tick failed")

    @property
    def alive(self) -> bool:
        return self._ticker.is_alive()

    def close(self) -> None:
        with self._lights:
            self._stop.set()
        self._ticker.join(2)
        for button in [*self.buttons.values(), *self.reason_buttons]:
            button.close()
        with self._lights:
            self.signals.close()


def build_button_kiosk(
    settings: ButtonKioskSettings,
    pin_factory: Factory | None = None,
    clock: Clock | None = None,
    cooldown_override: float | None = None,
) -> tuple[Kiosk, ButtonPanel]:
    """The kiosk core shaped for buttons (no service step, as many reasons as reason buttons) and its panel."""
    kiosk = Kiosk(
        settings,
        clock=clock,
        can_choose_service=False,
        reason_slots=len(settings.gpio.reason_buttons),
        cooldown_override=cooldown_override,
    )
    return kiosk, ButtonPanel(kiosk, settings.gpio, pin_factory)
