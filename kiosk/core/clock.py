"""The kiosk's clocks: a random boot id, monotonic uptime, and whether the wall clock can be trusted.

A Raspberry Pi has no real-time clock: until NTP answers it may believe it is 1970
(or the last time fake-hwclock saved). So every rating carries a `KioskClock`
reading, and `synced` must be honest: it comes from the kernel's NTP status (what
`timedatectl` shows as "System clock synchronized"), read with adjtimex(2), and is
false whenever the wall clock is earlier than this software could have been built.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import logging
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal

from protocol import KioskClock

log = logging.getLogger(__name__)

EARLIEST_PLAUSIBLE = datetime(2025, 1, 1, tzinfo=UTC)
"""A wall clock before this has not been set since boot (a Raspberry Pi without RTC says 1970)."""

TIME_ERROR = 5
"""adjtimex(2) clock state: 'the system clock is not synchronized to a reliable server'."""
_TIMEX_BUFFER = 512
"""Larger than `struct timex` on every Linux ABI (about 208 bytes on 64-bit); we only read."""


@functools.cache
def _adjtimex() -> Any:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        return ctypes.CDLL(name, use_errno=True).adjtimex
    except (OSError, AttributeError):
        return None


def kernel_clock_synced() -> bool | None:
    """The kernel's NTP synchronisation status, or None where it cannot be read (not Linux, seccomp)."""
    adjtimex = _adjtimex()
    if adjtimex is None:
        return None
    buffer = ctypes.create_string_buffer(_TIMEX_BUFFER)  # modes = 0: read only
    state = adjtimex(buffer)
    if state < 0:
        return None
    return bool(state != TIME_ERROR)


def wall_now() -> datetime:
    return datetime.now(UTC)


class Clock:
    """Boot id + monotonic uptime + wall clock + synchronisation status, as one consistent reading.

    `wall`, `synced` and `monotonic` can be replaced (the simulator's kiosk that booted in 1970; tests that
    move time by hand instead of waiting for it).
    """

    def __init__(
        self,
        mode: Literal["auto", "yes", "no"] = "auto",
        wall: Callable[[], datetime] = wall_now,
        kernel_synced: Callable[[], bool | None] = kernel_clock_synced,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.boot_id = uuid.uuid4()
        self._mode = mode
        self._wall = wall
        self._kernel_synced = kernel_synced
        self._monotonic = monotonic
        self._started = monotonic()
        self._warned = False

    def now(self) -> datetime:
        return self._wall()

    def monotonic(self) -> float:
        """Seconds on the monotonic clock this reading uses (the flow's timeouts run on it too)."""
        return self._monotonic()

    def uptime_ms(self) -> int:
        return int((self._monotonic() - self._started) * 1000)

    def synced(self, now: datetime | None = None) -> bool:
        now = now or self.now()
        if self._mode != "auto":
            return self._mode == "yes"
        if now < EARLIEST_PLAUSIBLE:
            return False
        kernel = self._kernel_synced()
        if kernel is None:
            if not self._warned:
                log.warning("cannot read the kernel's NTP status; trusting the wall clock (set clock_synced)")
                self._warned = True
            return True
        return kernel

    def reading(self) -> tuple[datetime, KioskClock]:
        """The wall clock and the matching `KioskClock`, taken together."""
        now = self.now()
        return now, KioskClock(boot_id=self.boot_id, uptime_ms=self.uptime_ms(), synced=self.synced(now))
