"""The button kiosk before it is enrolled: its face lights chase each other (green, yellow, red, round
and round), a pattern it shows at no other time, so an installer sees at a glance that it waits for its
enrolment code (a file on the boot partition: deploy/kiosk/README.md). A refused code: all three flash
together three times, then the chase again; asking the collector: all three on.
"""

from __future__ import annotations

import threading

from gpiozero import LED
from gpiozero.pins import Factory

from kiosk.buttons.settings import GpioWiring
from kiosk.core.enrol.enroller import EnrolState, Phase
from protocol import Face

STEP_S = 0.3
FLASH_S = 0.15


class WaitingLights:
    def __init__(self, wiring: GpioWiring, pin_factory: Factory | None = None) -> None:
        self.lights = [LED(pin, pin_factory=pin_factory) for face in Face if (pin := wiring.led(face)) is not None]
        self.phase = Phase.WAITING
        self._flashes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="waiting-lights", daemon=True)
        self._thread.start()

    def show(self, state: EnrolState) -> None:
        """An enroller's listener (any thread)."""
        if state.phase in (Phase.REFUSED, Phase.INVALID, Phase.NO_URL):
            self._flashes = 3
        self.phase = state.phase

    def _run(self) -> None:
        turn = 0
        while not self._stop.is_set():
            if self._flashes:
                self._flashes -= 1
                self._all(True)
                self._stop.wait(FLASH_S)
                self._all(False)
                self._stop.wait(FLASH_S * 2)
                continue
            if self.phase in (Phase.CHECKING, Phase.ENROLLED):
                self._all(True)
            elif self.lights:
                for index, light in enumerate(self.lights):
                    light.value = index == turn % len(self.lights)
                turn += 1
            self._stop.wait(STEP_S)

    def _all(self, on: bool) -> None:
        for light in self.lights:
            light.value = on

    @property
    def pattern(self) -> list[bool]:
        return [bool(light.value) for light in self.lights]

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        for light in self.lights:
            light.close()
