"""Three buttons, one per face, wired to the kiosk core through gpiozero."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from gpiozero import Button

from protocol import Face


@dataclass(frozen=True)
class ButtonPins:
    """BCM pin numbers of the face buttons (buttons to ground, internal pull-ups)."""

    positive: int = 17
    neutral: int = 27
    negative: int = 22

    def of(self, face: Face) -> int:
        pin: int = getattr(self, face.value)
        return pin


class ButtonPanel:
    def __init__(
        self,
        on_face: Callable[[Face], object],
        pins: ButtonPins | None = None,
        bounce_time: float | None = 0.05,
    ) -> None:
        self.pins = pins or ButtonPins()
        self.buttons: dict[Face, Button] = {}
        for face in Face:
            button = Button(self.pins.of(face), pull_up=True, bounce_time=bounce_time)
            button.when_pressed = self._handler(on_face, face)
            self.buttons[face] = button

    @staticmethod
    def _handler(on_face: Callable[[Face], object], face: Face) -> Callable[[], None]:
        def pressed() -> None:
            on_face(face)

        return pressed

    def close(self) -> None:
        for button in self.buttons.values():
            button.close()
