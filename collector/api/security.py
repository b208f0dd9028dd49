"""API keys, roles and rate limits.

A key looks like `mlf_<id>_<secret>`: the id (12 characters) names the key in lists and logs, the
secret is 256 random bits. Only SHA-256 of the secret is stored: with that much entropy a slow
password hash protects nothing more, and every request can be checked in microseconds.

Roles: `admin` manages the registry, targets and keys, and reads everything including raw ratings
with their exact time; `reader` reads aggregates only (never a rating below the reader resolution);
`ingest` may only send ratings (`POST /v1/organisations/{org}/channel-ratings` for phone, web, app and paper
channels, `.../ratings` for kiosks that cannot use MQTT); `served` may only post citizens served
(`POST /v1/organisations/{org}/citizens-served`), for queue-ticket systems. A key may be bound to one
organisation: it then sees nothing of the others (`collector.api.scope`); an ingest key may be bound to one
service point of it, and then sends only its ratings.

Failed authentications are limited per client address in the database, for every process at once
(collector/api/auth_failures.py); the requests of a valid key per key, in this process's memory (`RateLimits`).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import secrets
import time
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from collector.api.attempt_limits import source_of
from collector.api.auth_failures import AuthFailures
from collector.api.deps import PoolDep
from collector.api.problems import ProblemError
from collector.store.scope import OrgScope

Role = Literal["admin", "reader", "ingest", "served"]
ROLES: tuple[Role, ...] = ("admin", "reader", "ingest", "served")
TOKEN = re.compile(r"^mlf_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$")
REALM = 'Bearer realm="mettiamoci-la-faccia"'

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="apiKey",
    description="An API key: `Authorization: Bearer mlf_<id>_<secret>` (`mlf-collector admin key create`).",
)


@dataclass(frozen=True)
class Principal:
    key_id: str
    role: Role
    org: str | None
    """The only organisation this key may see, or None for all."""
    service_point: str | None = None
    """The only service point an ingest key may send ratings of, or None for any of its organisation."""

    @property
    def exact_times(self) -> bool:
        """Whether this key may see individual ratings with their exact time."""
        return self.role == "admin"

    @property
    def scope(self) -> OrgScope:
        """What store functions may touch for this key."""
        return OrgScope(self.org)


@dataclass(frozen=True)
class NewKey:
    key_id: str
    token: str
    secret_sha256: bytes


def new_key() -> NewKey:
    key_id = "".join(secrets.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(12))
    secret = secrets.token_urlsafe(32)
    return NewKey(key_id, f"mlf_{key_id}_{secret}", digest(secret))


def digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


class RateLimits:
    """Moving-window limits of the requests per API key, in this process's memory: a key's budget is per
    process (N API processes give a key N times `COLLECTOR_RATE_LIMIT`), but a request costs no database
    write. Failed authentications are counted in the database instead (collector/api/auth_failures.py)."""

    def __init__(self, per_key: str) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._per_key = parse(per_key)

    def request(self, key_id: str) -> None:
        if self._limiter.hit(self._per_key, f"key:{key_id}"):
            return
        stats = self._limiter.get_window_stats(self._per_key, f"key:{key_id}")
        wait = max(1, math.ceil(stats.reset_time - time.time()))
        raise ProblemError(
            429,
            "rate-limited",
            "Too many requests",
            f"rate limit of {self._per_key} per key reached; retry in {wait} s",
            headers={"Retry-After": str(wait)},
        )


def _unauthorized(detail: str, error: str | None) -> ProblemError:
    challenge = REALM + (f', error="{error}"' if error else "")
    return ProblemError(401, "unauthorized", "Authentication required", detail, headers={"WWW-Authenticate": challenge})


async def authenticate(
    request: Request,
    pool: PoolDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
) -> Principal:
    failures: AuthFailures = request.app.state.auth_failures
    match = TOKEN.match(credentials.credentials) if credentials is not None else None
    async with pool.connection() as conn:
        client = await failures.client(conn, source_of(request))
        found = await failures.key(conn, client, match.group(1)) if match else None
        if match is None or found is None or not hmac.compare_digest(found.secret_sha256, digest(match.group(2))):
            await failures.failed(conn, client)
            if credentials is None:
                raise _unauthorized("send an API key as `Authorization: Bearer mlf_...`", None)
            raise _unauthorized("the API key is unknown, malformed or revoked", "invalid_token")
    principal = Principal(match.group(1), found.role, found.org, found.service_point)  # type: ignore[arg-type]
    limits: RateLimits = request.app.state.rate_limits
    limits.request(principal.key_id)
    return principal


def require(*roles: Role) -> object:
    async def check(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        if principal.role not in roles:
            raise ProblemError(
                403,
                "forbidden",
                "Not allowed for this key",
                f"this needs a key with role {' or '.join(roles)}; this key has role {principal.role}",
            )
        return principal

    return Depends(check)


Admin = Annotated[Principal, require("admin")]
Reader = Annotated[Principal, require("admin", "reader")]
Ingest = Annotated[Principal, require("admin", "ingest")]
Served = Annotated[Principal, require("admin", "served")]
