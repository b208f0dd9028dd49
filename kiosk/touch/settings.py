"""Settings of the touchscreen kiosk: the core's, plus the screen's own (`[touch]` in TOML, `KIOSK_TOUCH__*`)."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from kiosk.core.settings import KioskSettings


class TouchScreen(BaseModel):
    """How the screen behaves. Everything a citizen sees can also be changed remotely except these."""

    model_config = ConfigDict(extra="forbid")

    fullscreen: bool = Field(default=True, description="Fill the screen (a kiosk); off: a window, for a laptop.")
    window_size: str = Field(
        default="800x480", pattern=r"^\d{3,4}x\d{3,4}$", description="Window size when not full screen."
    )
    show_cursor: bool = Field(default=False, description="Show the mouse pointer (off on a touchscreen).")
    large_text: bool = Field(default=False, description="Start every citizen with larger text (A+).")
    sounds: bool = Field(default=False, description="A short sound per face and on thank you.")
    keys: bool = Field(default=True, description="Keys 1/2/3 (a USB keypad or switch) work as the faces.")
    message_s: float = Field(default=5, gt=0, le=60, description="How long a notice (not stored, wait) stays.")
    maintenance_pin: SecretStr | None = Field(
        default=None, description="4-8 digits that open the maintenance screen (none: it stays closed)."
    )
    maintenance_taps: int = Field(
        default=5, ge=3, le=10, description="Taps in the top-left corner, within 4 s, that ask for the PIN."
    )
    pin_attempts: int = Field(default=3, ge=1, le=10, description="Wrong PINs in a row before the lock.")
    pin_lockout_s: float = Field(default=60, ge=1, le=3600, description="How long wrong PINs lock the keypad.")
    maintenance_timeout_s: float = Field(default=60, gt=0, le=600, description="Idle time before it closes.")

    @field_validator("maintenance_pin")
    @classmethod
    def _pin_digits(cls, pin: SecretStr | None) -> SecretStr | None:
        if pin is not None and not re.fullmatch(r"\d{4,8}", pin.get_secret_value()):
            raise ValueError("the maintenance PIN must be 4 to 8 digits")
        if pin is not None and len(set(pin.get_secret_value())) == 1:
            raise ValueError("the maintenance PIN must not repeat one digit (like 0000)")
        return pin

    def window(self) -> tuple[int, int]:
        width, height = self.window_size.split("x")
        return int(width), int(height)


class TouchKioskSettings(KioskSettings):
    touch: TouchScreen = Field(default_factory=TouchScreen, description="The touchscreen.")
