"""Abuse limits of the channels, without personal data.

A channel rating counts against its *target* (a rating link, a phone line) and its *client* (the
address a web page was posted from, a caller's number, an API caller's own client token) within a
fixed window. Both are counted under HMAC-SHA256 with a secret drawn for the UTC day and deleted after
it: the raw value is never written anywhere, and once the day is over its hashes cannot be tied to an
address any more. A rating over either limit is stored all the same, marked as misuse (kept, counted
apart, out of every indicator), as a kiosk's burst of presses is.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from psycopg import AsyncConnection

from collector.store import channel_abuse


@dataclass(frozen=True)
class Limits:
    per_target: int
    per_client: int
    window: timedelta


@dataclass(frozen=True)
class Hit:
    """Who a rating counts against: either may be None (no limit of that kind applies)."""

    target: str | None
    client: str | None


def subject(secret: bytes, kind: str, value: str) -> bytes:
    return hmac.new(secret, f"{kind}\x1f{value}".encode(), hashlib.sha256).digest()


def window_start(now: datetime, window: timedelta) -> datetime:
    seconds = int(window.total_seconds())
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, UTC)


async def misuse_flags(conn: AsyncConnection[Any], limits: Limits, hits: list[Hit], now: datetime) -> list[bool]:
    """Count `hits` (in order) and say which are over a limit."""
    if not any(h.target or h.client for h in hits):
        return [False] * len(hits)
    secret = await channel_abuse.day_secret(conn, now.astimezone(UTC).date())
    keyed: list[list[tuple[bytes, int]]] = []
    for h in hits:
        mine = []
        if h.target is not None:
            mine.append((subject(secret, "target", h.target), limits.per_target))
        if h.client is not None:
            mine.append((subject(secret, "client", h.client), limits.per_client))
        keyed.append(mine)
    counts = Counter(s for mine in keyed for s, _ in mine)
    running = await channel_abuse.hit(conn, dict(counts), window_start(now, limits.window))
    flags = []
    for mine in keyed:
        over = False
        for s, limit in mine:
            running[s] += 1
            over = over or running[s] > limit
        flags.append(over)
    return flags
