"""Which ratings the link sends next: in sequence order, bounded twice, resent when the watermark stalls.

No I/O here (the link does that), so the rules can be tested on their own:

- at most `window` ratings sent and not yet covered by the collector's watermark, and at
  most `inflight` awaiting the broker's PUBACK (which never exceeds its Receive Maximum);
- a watermark forgets what it covers and moves the cursor past it; an older one changes nothing;
- when the oldest uncovered rating was sent `resend_after` ago and the watermark has not
  moved, everything from the watermark on is sent again and the interval doubles (up to
  `resend_max`), so a collector that is down is not flooded with copies.
"""

from __future__ import annotations

from collections import deque


class SendWindow:
    def __init__(self, window: int, inflight: int, resend_after_s: float, resend_max_s: float, watermark: int) -> None:
        self.window = window
        self.inflight = inflight
        self._resend_base = resend_after_s
        self._resend_max = resend_max_s
        self.watermark = watermark
        self.reset()

    def reset(self, inflight: int | None = None) -> None:
        """A new connection: nothing in flight; start again right after the watermark."""
        if inflight is not None:
            self.inflight = inflight
        self.awaiting: dict[int, int] = {}  # paho mid -> seq, until the broker's PUBACK
        self.uncovered: deque[tuple[int, float]] = deque()  # (seq, sent at), until the watermark covers it
        self.cursor = self.watermark + 1
        self.resend_after = self._resend_base

    def budget(self) -> int:
        """How many more ratings may go out now."""
        return max(0, min(self.window - len(self.uncovered), self.inflight - len(self.awaiting)))

    def sent(self, seq: int, mid: int, now: float) -> None:
        self.awaiting[mid] = seq
        self.uncovered.append((seq, now))
        self.cursor = seq + 1

    def puback(self, mid: int) -> int | None:
        """The broker has it; returns its seq (None for a message that was not a rating)."""
        return self.awaiting.pop(mid, None)

    def covered(self, watermark: int, renumbered: bool = False) -> None:
        """The collector stored everything up to `watermark` (already accepted by the outbox)."""
        if renumbered:
            self.uncovered.clear()
        self.watermark = watermark
        while self.uncovered and self.uncovered[0][0] <= watermark:
            self.uncovered.popleft()
        self.cursor = max(self.cursor, watermark + 1)
        self.resend_after = self._resend_base

    def resend_due(self, now: float) -> bool:
        """True (and the cursor is back at the watermark) when the collector has been silent too long."""
        if not self.uncovered or now - self.uncovered[0][1] < self.resend_after:
            return False
        self.cursor = self.watermark + 1
        self.uncovered.clear()
        self.resend_after = min(self.resend_after * 2, self._resend_max)
        return True
