"""How long the kiosk's MQTT link waits before it connects again.

A lost connection is retried after an exponentially growing delay with jitter, so a fleet does not
reconnect in lockstep when the office Wi-Fi comes back. When another device with our kiosk id took the
connection, the wait is much longer (`takeover_backoff_s`, doubling while it repeats): the two devices
take turns instead of pushing each other off the broker forever.
"""

from __future__ import annotations

import random

from kiosk.core.settings import KioskSettings

LONG_CONNECTION_S = 600.0
"""A connection that lasted this long ends a run of takeovers (the waits start small again)."""


class Backoff:
    def __init__(self, settings: KioskSettings, rng: random.Random) -> None:
        self._s = settings
        self._rng = rng
        self.attempt = 0
        self.takeovers_in_a_row = 0

    def connected(self) -> None:
        """The broker accepted us: a later loss starts from the shortest wait."""
        self.attempt = 0

    def after_loss(self) -> float:
        self.takeovers_in_a_row = 0
        cap = min(self._s.reconnect_max_s, self._s.reconnect_min_s * 2**self.attempt)
        self.attempt = min(self.attempt + 1, 30)
        return self._rng.uniform(cap / 2, cap)

    def after_takeover(self, lasted_s: float) -> float:
        self.takeovers_in_a_row = 1 if lasted_s >= LONG_CONNECTION_S else self.takeovers_in_a_row + 1
        cap = min(self._s.takeover_backoff_max_s, self._s.takeover_backoff_s * 2 ** (self.takeovers_in_a_row - 1))
        return self._rng.uniform(cap / 2, cap)
