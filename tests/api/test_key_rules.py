"""API keys, roles, rate limits and the organisation scope of a key, pure (over HTTP, with a database:
tests/api/test_access.py and the role x organisation matrix, tests/api/test_access_matrix.py)."""

from __future__ import annotations

import asyncio
import hashlib
import time
from typing import Any

import pytest

from collector.api.problems import ProblemError
from collector.api.scope import named_org, org_filter, whole_installation
from collector.api.security import TOKEN, Principal, RateLimits, Role, _unauthorized, digest, new_key, require

BOUND = Principal("aaaaaaaaaaaa", "admin", "roma")
UNBOUND = Principal("bbbbbbbbbbbb", "admin", None)


def test_a_new_key_is_a_well_formed_token_whose_secret_only_its_digest_keeps() -> None:
    keys = [new_key() for _ in range(300)]
    for key in keys:
        match = TOKEN.match(key.token)
        assert match is not None, key.token
        assert match.group(1) == key.key_id
        assert key.secret_sha256 == hashlib.sha256(match.group(2).encode()).digest()
        assert key.secret_sha256 == digest(match.group(2))
    assert len({k.key_id for k in keys}) == len({k.token for k in keys}) == 300


def test_the_digest_is_sha256_of_the_secret() -> None:
    """Keys stored by earlier versions must keep working: the digest is plain SHA-256 of the secret's UTF-8."""
    assert digest("s3cret") == hashlib.sha256(b"s3cret").digest()
    assert digest("s3cret") != digest("s3cret ")


def test_the_challenge_names_the_realm_and_the_error() -> None:
    plain = _unauthorized("send a key", None)
    complete(plain)
    assert (plain.status, plain.kind, plain.detail) == (401, "unauthorized", "send a key")
    assert plain.headers == {"WWW-Authenticate": 'Bearer realm="mettiamoci-la-faccia"'}
    invalid = _unauthorized("unknown key", "invalid_token")
    assert invalid.headers == {"WWW-Authenticate": 'Bearer realm="mettiamoci-la-faccia", error="invalid_token"'}


def refused(call: Any, *args: Any) -> ProblemError:
    with pytest.raises(ProblemError) as caught:
        call(*args)
    complete(caught.value)
    return caught.value


def complete(problem: ProblemError) -> None:
    """A problem document a client can show: a title and a detail, both words."""
    assert isinstance(problem.title, str)
    assert problem.title.strip()
    assert isinstance(problem.detail, str)
    assert problem.detail.strip()


def test_each_key_has_its_own_budget() -> None:
    """Per key, in the process's memory (failed authentications: tests/api/test_auth_failure_limits.py)."""
    limits = RateLimits("2/minute")
    limits.request("k1")
    limits.request("k1")
    limits.request("k2")
    too_many = refused(limits.request, "k1")
    assert (too_many.status, too_many.kind) == (429, "rate-limited")
    assert too_many.headers is not None
    assert 55 <= int(too_many.headers["Retry-After"]) <= 60
    assert "per key" in str(too_many.detail)
    limits.request("k2")


def test_a_short_window_says_retry_in_a_second() -> None:
    limits = RateLimits("1/second")
    limits.request("k1")
    too_many = refused(limits.request, "k1")
    assert too_many.headers == {"Retry-After": "1"}
    assert str(too_many.detail).endswith("retry in 1 s")


def test_retry_after_counts_from_the_keys_oldest_request_in_the_window() -> None:
    limits = RateLimits("2 per 3 seconds")
    limits.request("k1")
    time.sleep(1.2)
    limits.request("k1")
    too_many = refused(limits.request, "k1")
    assert too_many.headers is not None
    assert 1 <= int(too_many.headers["Retry-After"]) <= 2  # the first request leaves the window in under 2 s


def check(roles: tuple[Role, ...], principal: Principal) -> Principal:
    dependency = require(*roles).dependency  # type: ignore[attr-defined]
    result: Principal = asyncio.run(dependency(principal))
    return result


@pytest.mark.parametrize(
    ("roles", "allowed"),
    [
        (("admin",), {"admin"}),
        (("admin", "reader"), {"admin", "reader"}),
        (("admin", "ingest"), {"admin", "ingest"}),
        (("admin", "served"), {"admin", "served"}),
    ],
)
def test_a_route_takes_only_the_roles_it_names(roles: tuple[Role, ...], allowed: set[str]) -> None:
    role: Role
    for role in ("admin", "reader", "ingest", "served"):
        principal = Principal("cccccccccccc", role, None)
        if role in allowed:
            assert check(roles, principal) is principal
        else:
            with pytest.raises(ProblemError) as caught:
                check(roles, principal)
            assert (caught.value.status, caught.value.kind) == (403, "forbidden")
            complete(caught.value)
            assert caught.value.detail == f"this needs a key with role {' or '.join(roles)}; this key has role {role}"


def test_a_bound_key_acts_on_its_own_organisation_only() -> None:
    assert named_org(BOUND, "roma") == "roma"
    other = refused(named_org, BOUND, "milano")
    assert (other.status, other.kind) == (403, "forbidden")
    assert "'roma'" in str(other.detail)
    assert named_org(UNBOUND, "milano") == "milano"


def test_an_organisation_filter_defaults_to_the_keys_own() -> None:
    assert org_filter(BOUND, None) == "roma"
    assert org_filter(BOUND, "roma") == "roma"
    assert refused(org_filter, BOUND, "milano").status == 403
    assert org_filter(UNBOUND, None) is None
    assert org_filter(UNBOUND, "milano") == "milano"


def test_what_concerns_every_organisation_is_refused_to_a_bound_key() -> None:
    whole_installation(UNBOUND, "a new organisation")
    refusal = refused(whole_installation, BOUND, "a new organisation")
    assert (refusal.status, refusal.kind) == (403, "forbidden")
    assert str(refusal.detail).startswith("a new organisation concerns every organisation")
