"""The kiosk's clocks: a random boot id, monotonic uptime, and whether the wall clock can be trusted."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime

from protocol import KioskClock

EARLIEST_PLAUSIBLE = datetime(2025, 1, 1, tzinfo=UTC)
"""A wall clock before this has not been set since boot (a Raspberry Pi without RTC says 1970)."""


class Clock:
    def __init__(self) -> None:
        self.boot_id = uuid.uuid4()
        self._started = time.monotonic()

    def now(self) -> datetime:
        return datetime.now(UTC)

    def reading(self) -> KioskClock:
        uptime_ms = int((time.monotonic() - self._started) * 1000)
        return KioskClock(boot_id=self.boot_id, uptime_ms=uptime_ms, synced=self.now() >= EARLIEST_PLAUSIBLE)
