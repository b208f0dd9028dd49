"""Failed authentications, limited per client address in the database every collector process shares
(collector/api/attempt_limits.py): `COLLECTOR_AUTH_FAILURE_LIMIT` (60 a minute by default), for the API and
the board together. A failure is a request with no API key, or one malformed, unknown or revoked, and a
board sign-in with such a key (or one that may not read) or with a dead one-time link.

Once a client's failures fill the limit it is refused with 429 and `Retry-After` before its key is even
compared, until the oldest failure leaves the window: a valid key from that address too (a guess that
happens to be right is refused like the others), while every other address goes on as before.

A request with a valid key writes nothing: whether its address is shut out is read in the query that looks
up its key, the one round trip it made before (bench/auth_lookup.py measures what that adds). Only failures
are written, each checked against the limit under a lock of its client, so failures sent at once through any
number of processes are answered 401 up to the limit and 429 past it. What that does not stop: API requests
sent at once while the address still has room are each compared before any of them is written as failed, so
a burst may have more keys compared than the limit (never more answered 401); with 256 random bits per
secret, that gives a guesser nothing. A board sign-in, rare and writing a session anyway, is a row from the
moment it begins, as an enrolment attempt is: one sent beside others in flight is counted with them.

The per-key request rate (`COLLECTOR_RATE_LIMIT`) stays in each process's memory (collector/api/security.py):
counting it in the database would put a write on every request.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from psycopg import AsyncConnection

from collector.api.attempt_limits import Clients, limit, wait_seconds
from collector.api.problems import ProblemError
from collector.store import attempts, keys
from collector.store.attempts import Spent
from collector.store.keys import StoredKey

KIND: attempts.Kind = "authentication"


class AuthFailures:
    def __init__(self, per_client: str) -> None:
        self.per_client = limit(per_client)
        self._clients = Clients(KIND)

    @property
    def longest(self) -> timedelta:
        """Failures older than this count for nothing (housekeeping deletes them)."""
        return self.per_client.window

    async def client(self, conn: AsyncConnection[Any], source: str) -> bytes:
        """Who `source` is counted as: call it first on `conn`, before anything else."""
        return await self._clients.of(conn, source)

    async def key(self, conn: AsyncConnection[Any], client: bytes, key_id: str) -> StoredKey | None:
        """The active key `key_id`, None when there is none; 429 when `client`'s failures are spent."""
        found = await keys.find_unless_spent(conn, key_id, KIND, client, self.per_client)
        if isinstance(found, Spent):
            raise refusal(found)
        return found

    async def failed(self, conn: AsyncConnection[Any], client: bytes) -> None:
        """An authentication of `client` failed: counted and committed; 429 when its failures are spent
        already (then it is not counted: the window moves on)."""
        made = await attempts.begin(conn, KIND, client, self.per_client, failed=True)
        await conn.commit()
        if isinstance(made, Spent):
            raise refusal(made)

    async def begin(self, conn: AsyncConnection[Any], source: str) -> int | Spent:
        """A sign-in from `source` counted from now on (end it with `ended`), or its spent limit. First on
        `conn`: it commits at once, so that every process counts it while it runs."""
        return await attempts.begin(conn, KIND, await self.client(conn, source), self.per_client)

    async def ended(self, conn: AsyncConnection[Any], attempt: int, *, succeeded: bool) -> None:
        """The sign-in `attempt` succeeded (it counts no more) or failed (it counts); commit `conn`."""
        await (attempts.succeeded if succeeded else attempts.failed)(conn, attempt)


def refusal(spent: Spent) -> ProblemError:
    wait = wait_seconds(spent)
    return ProblemError(
        429,
        "rate-limited",
        "Too many requests",
        f"too many failed authentications from this address; retry in {wait} s",
        headers={"Retry-After": str(wait)},
    )
