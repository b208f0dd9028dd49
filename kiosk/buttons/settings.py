"""Settings of the push-button kiosk: the core's, plus how the buttons, lights and buzzer are wired.

Pins are BCM GPIO numbers. In TOML they live in a `[gpio]` table; in the environment
as `KIOSK_GPIO__POSITIVE_BUTTON=17` and so on. deploy/kiosk/README.md has the
wiring table of the defaults.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from kiosk.core.settings import KioskSettings
from protocol import Face

Pin = int
MAX_REASON_BUTTONS = 8


def _pin(default: int | None, what: str) -> int | None:
    return Field(default=default, ge=2, le=27, description=f"BCM GPIO of {what}.")


class GpioWiring(BaseModel):
    """Where each part is connected. Buttons go to ground (internal pull-ups); LEDs via a resistor to ground."""

    model_config = ConfigDict(extra="forbid")

    positive_button: Pin = Field(default=17, ge=2, le=27, description="Green face button.")
    neutral_button: Pin = Field(default=27, ge=2, le=27, description="Yellow face button.")
    negative_button: Pin = Field(default=22, ge=2, le=27, description="Red face button.")
    positive_led: Pin | None = _pin(5, "the green button's light")
    neutral_led: Pin | None = _pin(6, "the yellow button's light")
    negative_led: Pin | None = _pin(13, "the red button's light")
    status_led: Pin | None = _pin(None, "the status light for staff (online / offline)")
    buzzer: Pin | None = _pin(None, "an active buzzer")
    reason_buttons: list[Pin] = Field(
        default_factory=list, max_length=MAX_REASON_BUTTONS, description="Buttons for the reasons after red, in order."
    )
    reason_leds: list[Pin] = Field(
        default_factory=list, max_length=MAX_REASON_BUTTONS, description="Their lights (none, or one per button)."
    )
    pwm: bool = Field(default=True, description="Dim and pulse the lights (software PWM); off: on/off only.")
    bounce_s: float = Field(default=0.05, ge=0, le=1, description="Contact bounce ignored after an edge.")

    @model_validator(mode="after")
    def _consistent(self) -> GpioWiring:
        for pin in [*self.reason_buttons, *self.reason_leds]:
            if not 2 <= pin <= 27:
                raise ValueError(f"GPIO {pin} is not a usable BCM pin (2-27)")
        if self.reason_leds and len(self.reason_leds) != len(self.reason_buttons):
            raise ValueError("reason_leds must be empty or have one pin per reason button")
        used = [p for p in self.all_pins() if p is not None]
        duplicates = sorted({p for p in used if used.count(p) > 1})
        if duplicates:
            raise ValueError(f"GPIO {', '.join(map(str, duplicates))} is wired to more than one part")
        return self

    def all_pins(self) -> list[int | None]:
        return [
            self.positive_button,
            self.neutral_button,
            self.negative_button,
            self.positive_led,
            self.neutral_led,
            self.negative_led,
            self.status_led,
            self.buzzer,
            *self.reason_buttons,
            *self.reason_leds,
        ]

    def button(self, face: Face) -> int:
        pin: int = getattr(self, f"{face.value}_button")
        return pin

    def led(self, face: Face) -> int | None:
        pin: int | None = getattr(self, f"{face.value}_led")
        return pin


class ButtonKioskSettings(KioskSettings):
    gpio: GpioWiring = Field(default_factory=GpioWiring, description="Wiring of buttons, lights and buzzer.")
