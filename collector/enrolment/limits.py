"""Failed enrolment attempts, limited per client address and overall (moving windows, in memory).

An attempt is refused with 429 and `Retry-After` before its code is even looked at once either limit is
spent; only failures count, so a site enrolling fifty kiosks from one address is never held up. The address
lives in this process's memory for the window only: never written anywhere.
"""

from __future__ import annotations

import math
import time

from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from collector.api.problems import ProblemError


class EnrolmentLimits:
    def __init__(self, per_source: str, overall: str) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._per_source, self._overall = parse(per_source), parse(overall)

    def check(self, source: str) -> None:
        """429 if the source's or everyone's failures are spent."""
        for item, key in ((self._per_source, f"enrol:{source}"), (self._overall, "enrol:*")):
            if not self._limiter.test(item, key):
                stats = self._limiter.get_window_stats(item, key)
                wait = max(1, math.ceil(stats.reset_time - time.time()))
                who = "this address" if key != "enrol:*" else "everywhere"
                raise ProblemError(
                    429,
                    "rate-limited",
                    "Too many failed enrolments",
                    f"too many wrong or spent enrolment codes from {who}; retry in {wait} s",
                    headers={"Retry-After": str(wait)},
                )

    def failed(self, source: str) -> None:
        self._limiter.hit(self._per_source, f"enrol:{source}")
        self._limiter.hit(self._overall, "enrol:*")
