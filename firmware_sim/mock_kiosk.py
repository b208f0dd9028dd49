"""One simulated button kiosk: the real kiosk core and button panel, on a gpiozero MockFactory of its own.

Presses drive the mock GPIO pins low and high, exactly as a finger on a real button
would, so the real debounce, flow, outbox and lights run. Each kiosk has its own pin
factory, so many can share a process with the same wiring as a real one.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from gpiozero.pins.mock import MockFactory, MockPWMPin

from kiosk.buttons.docs import EXAMPLE_WIRING
from kiosk.buttons.panel import build_button_kiosk
from kiosk.buttons.settings import ButtonKioskSettings
from kiosk.core.clock import Clock
from kiosk.core.face_api import Face, Step

SIM_WIRING = EXAMPLE_WIRING.model_copy(update={"bounce_s": 0.01})
"""A fully equipped kiosk as deploy/kiosk/README.md wires it: face lights, status light, buzzer, four
reason buttons with lights. Mock pins do not bounce, so the debounce is short and presses can be quick."""
MAX_WAIT_S = 30.0
"""A citizen waits at most this long for the kiosk's cooldown to end."""
MASH_GAP_S = 0.12
"""Time between two presses of a citizen hammering a button (slower than contact bounce)."""


class SimulatedButtonKiosk:
    def __init__(
        self, settings: ButtonKioskSettings, clock: Clock | None = None, cooldown_override: float | None = None
    ) -> None:
        self.factory = MockFactory(pin_class=MockPWMPin)
        self.kiosk, self.panel = build_button_kiosk(settings, self.factory, clock, cooldown_override)
        self.wiring = settings.gpio
        self._last_push: dict[int, float] = {}

    def start(self) -> None:
        self.kiosk.start()

    def stop(self) -> None:
        self.panel.close()
        self.kiosk.stop()

    def push(self, gpio: int) -> None:
        """A finger on the button: never faster than the debounce allows (that would be contact bounce)."""
        gap = self.wiring.bounce_s * 1.2 - (time.monotonic() - self._last_push.get(gpio, 0.0))
        if gap > 0:
            time.sleep(gap)
        pin = self.factory.pin(gpio)
        pin.drive_low()
        pin.drive_high()
        self._last_push[gpio] = time.monotonic()

    def press(self, face: Face) -> None:
        self.push(self.wiring.button(face))

    def press_reason(self, index: int) -> None:
        self.push(self.wiring.reason_buttons[index])

    def citizen(self, face: Face, reason: int | None = None, mash: int = 0, think_s: float = 0.3) -> int:
        """One citizen: waits for the kiosk to be ready, presses a face, after red maybe a reason (else the
        red again, "skip"), and maybe hammers on. Returns the number of face presses."""
        time.sleep(min(self.kiosk.ready_in(), MAX_WAIT_S))
        self.press(face)
        if self.kiosk.step is Step.REASON:
            time.sleep(think_s)
            if reason is not None and reason < len(self.wiring.reason_buttons):
                self.press_reason(reason)
            else:
                self.press(Face.NEGATIVE)
        for _ in range(mash):
            time.sleep(MASH_GAP_S)
            self.press(face)
        return 1 + mash


class CompressedTime:
    """Simulated time for a kiosk whose presses are dated as if citizens had come `spread_s` apart.

    It starts `count * spread_s` in the past and each `advance()` moves it `spread_s` on, so the
    last press lands about now: hours of a counter's day pressed in seconds, with honest press times
    (the collector would rightly mark sixty presses in one minute as misuse).
    """

    def __init__(self, count: int, spread_s: float) -> None:
        self._spread = timedelta(seconds=spread_s)
        self._elapsed = timedelta(0)
        self._start_wall = datetime.now(UTC) - count * self._spread
        self._start_monotonic = time.monotonic()

    def advance(self) -> None:
        self._elapsed += self._spread

    def wall(self) -> datetime:
        return self._start_wall + self._elapsed

    def monotonic(self) -> float:
        return self._start_monotonic + self._elapsed.total_seconds()

    def clock(self) -> Clock:
        return Clock("yes", wall=self.wall, monotonic=self.monotonic)


def rtc_less_clock(sync_after_s: float | None, *, since: float | None = None) -> Clock:
    """A Raspberry Pi without RTC: it boots believing it is 1970; NTP sets the time after `sync_after_s`.

    The delay counts from `since` (a `time.time()` value, e.g. when the fleet started: NTP becomes reachable
    then, so a kiosk restarted later syncs at boot) or, without it, from this boot.
    """
    started = time.monotonic()
    reachable_at = None if sync_after_s is None else (since if since is not None else time.time()) + sync_after_s
    epoch = datetime(1970, 1, 1, tzinfo=UTC)

    def synced() -> bool:
        return reachable_at is not None and time.time() >= reachable_at

    def wall() -> datetime:
        if synced():
            return datetime.now(UTC)
        return epoch + timedelta(seconds=time.monotonic() - started)

    return Clock("auto", wall=wall, kernel_synced=synced)
