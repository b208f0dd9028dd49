"""The maintenance screen's lock: a PIN, and a pause after too many wrong ones (pure logic, no Kivy)."""

from __future__ import annotations

import hmac
from enum import StrEnum


class PinResult(StrEnum):
    OK = "ok"
    WRONG = "wrong"
    LOCKED = "locked"
    """Too many wrong PINs: nothing is checked until the lock expires (not even the right PIN)."""


class PinLock:
    def __init__(self, pin: str | None, attempts: int, lockout_s: float) -> None:
        self._pin = pin
        self._attempts = attempts
        self._lockout_s = lockout_s
        self._wrong = 0
        self._locked_until = 0.0

    @property
    def enabled(self) -> bool:
        """Without a configured PIN the maintenance screen never opens."""
        return self._pin is not None

    def locked_for(self, now: float) -> float:
        return max(0.0, self._locked_until - now)

    def check(self, pin: str, now: float) -> PinResult:
        if self._pin is None or self.locked_for(now) > 0:
            return PinResult.LOCKED
        if hmac.compare_digest(pin.encode(), self._pin.encode()):
            self._wrong = 0
            return PinResult.OK
        self._wrong += 1
        if self._wrong >= self._attempts:
            self._wrong = 0
            self._locked_until = now + self._lockout_s
            return PinResult.LOCKED
        return PinResult.WRONG
