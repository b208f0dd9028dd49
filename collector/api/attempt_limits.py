"""Failed attempts limited per client address, one way for every kind (enrolment codes: collector/enrolment/
limits.py; API keys and board sign-ins: collector/api/auth_failures.py), counted in PostgreSQL
(collector/store/attempts.py) so that several collector processes, or a restart, give a guesser no more tries.

No address is written: a client is counted under an HMAC keyed by the secret of the UTC day, drawn in the
database and deleted the next day, as the channels' abuse counts are (collector/channels/abuse.py), so a
client's count starts afresh at midnight UTC. Every process uses the same secret, and keeps it in memory
once read, until the first request of the next day: naming a client costs no round trip. An IPv6 client is
counted by its /64 network, which one host may hold whole. The address is the connection's, or
`X-Forwarded-For`'s only from a proxy named in `COLLECTOR_FORWARDED_ALLOW_IPS` (collector/main.py).
"""

from __future__ import annotations

import ipaddress
import math
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi import Request
from limits import parse
from psycopg import AsyncConnection

from collector.channels.abuse import subject
from collector.store import attempts, channel_abuse
from collector.store.attempts import Limit, Spent


def limit(rate: str) -> Limit:
    """`10/hour` as a count and a window."""
    item = parse(rate)
    return Limit(item.amount, timedelta(seconds=item.get_expiry()))


def source_of(request: Request) -> str:
    """The client's address, as uvicorn decided it (a trusted proxy's `X-Forwarded-For`, else the peer)."""
    return request.client.host if request.client else "unknown"


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


def wait_seconds(spent: Spent) -> int:
    """`Retry-After`: whole seconds, at least one."""
    return max(1, math.ceil(spent.wait.total_seconds()))


class Clients:
    """Who a client is counted as for one kind of attempt: the HMAC of its address (or /64) under the day's
    secret."""

    def __init__(self, kind: attempts.Kind) -> None:
        self.kind = kind
        self._secret: tuple[date, bytes] | None = None

    async def of(self, conn: AsyncConnection[Any], source: str) -> bytes:
        """`source` as counted today. Call it first on `conn` (no transaction open): a new day's secret
        drawn here is committed before this process keeps it."""
        today = datetime.now(UTC).date()
        if self._secret is None or self._secret[0] != today:
            self._secret = (today, await channel_abuse.day_secret(conn, today))
        return subject(self._secret[1], self.kind, client_key(source))
