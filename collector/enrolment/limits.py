"""Failed enrolment attempts, limited per client address and overall, in moving windows every collector
process shares (collector/store/attempts.py): several API processes behind a proxy, or a restart, give a
guesser no more tries.

An attempt is refused with 429 and `Retry-After` before its code is even looked at once either limit is
spent. Only failures count, and an attempt while it runs, so that many sent at once cannot outrun a limit;
a site enrolling fifty kiosks from one address is never held up. No address is written: it is counted under
an HMAC keyed by the secret of the UTC day, deleted the next day, as the channels' abuse counts are
(collector/channels/abuse.py), so a client's count starts afresh at midnight UTC (the overall count does
not). An IPv6 client is counted by its /64 network, which one host may hold whole. The address is the
connection's, or `X-Forwarded-For`'s only from a proxy named in `COLLECTOR_FORWARDED_ALLOW_IPS`.
"""

from __future__ import annotations

import ipaddress
import math
from datetime import UTC, datetime, timedelta
from typing import Any

from limits import parse
from psycopg import AsyncConnection

from collector.api.problems import ProblemError
from collector.channels.abuse import subject
from collector.store import attempts, channel_abuse
from collector.store.attempts import Limit, Spent

KIND: attempts.Kind = "enrolment"


def limit(rate: str) -> Limit:
    """`10/hour` as a count and a window."""
    item = parse(rate)
    return Limit(item.amount, timedelta(seconds=item.get_expiry()))


def client_key(source: str) -> str:
    """What one client is counted as: its IPv4 address, or its IPv6 /64 network; anything else as it is."""
    try:
        address = ipaddress.ip_address(source)
    except ValueError:
        return source
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


class EnrolmentLimits:
    def __init__(self, per_source: str, overall: str) -> None:
        self.per_source, self.overall = limit(per_source), limit(overall)

    @property
    def longest(self) -> timedelta:
        """The longest window: attempts older than this count for nothing (housekeeping deletes them)."""
        return max(self.per_source.window, self.overall.window)

    async def begin(self, conn: AsyncConnection[Any], source: str) -> int:
        """The attempt of `source`, counted from now on; 429 if its or everyone's failures are spent."""
        secret = await channel_abuse.day_secret(conn, datetime.now(UTC).date())
        client = subject(secret, KIND, client_key(source))
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
    wait = max(1, math.ceil(spent.wait.total_seconds()))
    who = "this address" if spent.per_client else "everywhere"
    return ProblemError(
        429,
        "rate-limited",
        "Too many failed enrolments",
        f"too many wrong or spent enrolment codes from {who}; retry in {wait} s",
        headers={"Retry-After": str(wait)},
    )
