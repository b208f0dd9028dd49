"""Failed enrolment attempts, limited per client address and overall, in moving windows every collector
process shares (collector/api/attempt_limits.py, the one way failed attempts are counted): several API
processes behind a proxy, or a restart, give a guesser no more tries.

An attempt is refused with 429 and `Retry-After` before its code is even looked at once either limit is
spent. Only failures count, and an attempt while it runs, so that many sent at once cannot outrun a limit;
a site enrolling fifty kiosks from one address is never held up. The overall count does not start afresh at
midnight UTC, as a client's does.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from psycopg import AsyncConnection

from collector.api.attempt_limits import Clients, limit, wait_seconds
from collector.api.problems import ProblemError
from collector.store import attempts
from collector.store.attempts import Spent

KIND: attempts.Kind = "enrolment"


class EnrolmentLimits:
    def __init__(self, per_source: str, overall: str) -> None:
        self.per_source, self.overall = limit(per_source), limit(overall)
        self._clients = Clients(KIND)

    @property
    def longest(self) -> timedelta:
        """The longest window: attempts older than this count for nothing (housekeeping deletes them)."""
        return max(self.per_source.window, self.overall.window)

    async def begin(self, conn: AsyncConnection[Any], source: str) -> int:
        """The attempt of `source`, counted from now on; 429 if its or everyone's failures are spent."""
        client = await self._clients.of(conn, source)
        made = await attempts.begin(conn, KIND, client, self.per_source, self.overall)
        if isinstance(made, Spent):
            raise refusal(made)
        return made

    async def failed(self, conn: AsyncConnection[Any], attempt: int) -> None:
        """The code was wrong or spent: the attempt counts for its windows (commit `conn`)."""
        await attempts.failed(conn, attempt)

    async def succeeded(self, conn: AsyncConnection[Any], attempt: int) -> None:
        """The code was right: the attempt counts no more (commit `conn`)."""
        await attempts.succeeded(conn, attempt)


def refusal(spent: Spent) -> ProblemError:
    wait = wait_seconds(spent)
    who = "this address" if spent.per_client else "everywhere"
    return ProblemError(
        429,
        "rate-limited",
        "Too many failed enrolments",
        f"too many wrong or spent enrolment codes from {who}; retry in {wait} s",
        headers={"Retry-After": str(wait)},
    )
