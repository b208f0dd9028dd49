"""Failed authentications (API keys, board sign-ins) are limited per address in PostgreSQL, once for every
collector process: failures through one process are counted by another, a restart keeps them, failures sent
at once cannot be answered 401 past the limit, a shut-out address is refused even with a valid key while
every other address goes on, a valid key writes nothing, no address is stored, and housekeeping prunes.
The board's side: tests/board/test_sign_in_limits.py."""

from __future__ import annotations

import asyncio
import threading
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import psycopg
from fastapi.testclient import TestClient

from collector.api.app import create_app
from collector.housekeeping import Housekeeper
from collector.store import attempts
from collector.store.attempts import Limit, Spent
from devstack.processes import free_port
from tests.fixtures.fix_api import api_settings, make_key
from tests.fixtures.fix_collector import CollectorProcess

BAD_TOKEN = "mlf_aaaaaaaaaaaa_" + "A" * 43
"""Well formed, but no such key."""
BAD = {"Authorization": f"Bearer {BAD_TOKEN}"}


def app_on(database_url: str, client: tuple[str, int] = ("192.0.2.1", 50000), **overrides: Any) -> TestClient:
    """One collector's API (its own app, nothing shared with another but the database), as seen by `client`."""
    settings = api_settings(database_url, **({"auth_failure_limit": "3/minute"} | overrides))
    return TestClient(create_app(settings), client=client)


def as_client(app: TestClient, address: str) -> TestClient:
    return TestClient(app.app, client=(address, 50000))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def rows(db: psycopg.Connection[Any], where: str = "true") -> int:
    found = db.execute(f"SELECT count(*) FROM limited_attempts WHERE {where}").fetchone()  # noqa: S608 - tests' own
    assert found is not None
    return int(found[0])


def test_failures_through_one_process_are_counted_by_another_and_outlive_a_restart(
    database_url: str, db: psycopg.Connection[Any]
) -> None:
    token = make_key(database_url, "reader")
    with app_on(database_url) as one, app_on(database_url) as two:
        assert one.get("/v1/organisations", headers=BAD).status_code == 401
        assert two.get("/v1/organisations").status_code == 401  # no key at all is a failure too
        assert one.get("/v1/organisations", headers={"Authorization": "Bearer nonsense"}).status_code == 401
        for app in (one, two):  # either process: this address has spent its three failures
            stopped = app.get("/v1/organisations", headers=BAD)
            assert stopped.status_code == 429
            assert stopped.headers["content-type"] == "application/problem+json"
            assert "failed authentications from this address" in stopped.json()["detail"]
            assert 55 <= int(stopped.headers["Retry-After"]) <= 60
        shut_out = two.get("/v1/organisations", headers=bearer(token))
        assert shut_out.status_code == 429  # a valid key from there too: a lucky guess would be refused alike
        assert as_client(two, "192.0.2.2").get("/v1/organisations", headers=bearer(token)).status_code == 200
    assert rows(db) == rows(db, "failed AND kind = 'authentication'") == 3
    with app_on(database_url) as restarted:
        assert restarted.get("/v1/organisations", headers=BAD).status_code == 429  # a restart forgets nothing
        assert as_client(restarted, "192.0.2.2").get("/v1/organisations", headers=BAD).status_code == 401
        db.execute("UPDATE limited_attempts SET at = at - interval '61 seconds'")  # the window moves on
        assert restarted.get("/v1/organisations", headers=bearer(token)).status_code == 200
    assert rows(db) == 4


def test_a_valid_key_writes_nothing_and_no_address_is_stored(database_url: str, db: psycopg.Connection[Any]) -> None:
    token = make_key(database_url, "reader")
    with app_on(database_url, client=("2001:db8:0:7::1", 50000)) as app:
        for _ in range(5):
            assert app.get("/v1/organisations", headers=bearer(token)).status_code == 200
        assert rows(db) == 0
        assert app.get("/v1/organisations", headers=BAD).status_code == 401
        found = db.execute("SELECT client FROM limited_attempts").fetchone()
        assert found is not None
        client = bytes(found[0])
        assert len(client) == 32  # an HMAC under the day's secret, deleted the next day
        assert b"2001" not in client
        neighbours = [as_client(app, f"2001:db8:0:7::{n}") for n in (2, 3)]  # one /64: one client
        assert [n.get("/v1/organisations", headers=BAD).status_code for n in neighbours] == [401, 401]
        assert as_client(app, "2001:db8:0:7:ffff::1").get("/v1/organisations", headers=BAD).status_code == 429
        assert as_client(app, "2001:db8:0:8::1").get("/v1/organisations", headers=BAD).status_code == 401


def test_housekeeping_deletes_failures_past_their_window(database_url: str, db: psycopg.Connection[Any]) -> None:
    with app_on(database_url) as app:
        assert [app.get("/v1/organisations", headers=BAD).status_code for _ in range(2)] == [401, 401]
    db.execute(
        "UPDATE limited_attempts SET at = at - interval '2 minutes' WHERE id = (SELECT min(id) FROM limited_attempts)"
    )
    keeper = Housekeeper(api_settings(database_url, auth_failure_limit="3/minute"))
    keeper.backend = "postgresql"
    assert keeper.run_once()["limited_attempts"] == 1
    assert rows(db) == 1


def test_failures_at_once_are_written_up_to_the_limit(database_url: str) -> None:
    """Forty failures of one client at once, each on its own connection (as from several processes): ten are
    written, thirty are refused; another client is not held back by them."""
    limit = Limit(10, timedelta(minutes=1))

    async def race() -> list[int | Spent]:
        async def one(client: bytes) -> int | Spent:
            async with await psycopg.AsyncConnection.connect(database_url) as conn:
                return await attempts.begin(conn, "authentication", client, limit, failed=True)

        return list(await asyncio.gather(*(one(b"c" * 32) for _ in range(40)), one(b"d" * 32)))

    outcomes = asyncio.run(race())
    assert sum(isinstance(o, int) for o in outcomes[:40]) == 10
    assert isinstance(outcomes[40], int)
    with psycopg.connect(database_url, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM limited_attempts WHERE failed").fetchone() == (11,)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """A signed-in board answers 303: that is the answer, not a page to follow."""

    def redirect_request(self, *args: Any) -> None:
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def call(url: str, path: str, *, forwarded: str, token: str | None = None, form: str | None = None) -> int:
    """The status of one request of the client `forwarded` names (a board sign-in when `form` is given)."""
    headers = {"X-Forwarded-For": forwarded, **({"Authorization": f"Bearer {token}"} if token else {})}
    data = None
    if form is not None:
        data = form.encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    request = urllib.request.Request(url + path, data=data, headers=headers)  # noqa: S310 - loopback
    try:
        with OPENER.open(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code


def test_two_collector_processes_count_failures_once(
    start_collector: Callable[..., CollectorProcess], database_url: str, db: psycopg.Connection[Any]
) -> None:
    """Two `mlf-collector serve --role api` on one database (trusting the loopback proxy, the default, so
    `X-Forwarded-For` names the client): 24 failures of one address sent at once, half to each, bad API keys,
    no keys and bad board sign-ins mixed, get exactly its 5 401s between them. Its valid key is refused; another
    address's is not. Restarted, a process still refuses it."""
    limits = {"COLLECTOR_AUTH_FAILURE_LIMIT": "5/minute"}
    mqtt = {"COLLECTOR_MQTT_PORT": str(free_port())}  # the API alone: nobody listens there
    one, two = (start_collector("serve", "--role", "api", **limits, **mqtt) for _ in range(2))
    token = make_key(database_url, "reader")
    attacker, other = "198.51.100.7", "198.51.100.8"
    start = threading.Barrier(24)

    def fail(n: int) -> int:
        url = (one, two)[n % 2].url
        start.wait()
        if n % 3 == 0:
            return call(url, "/v1/organisations", token=BAD_TOKEN, forwarded=attacker)
        if n % 3 == 1:
            return call(url, "/v1/organisations", forwarded=attacker)
        return call(url, "/board/sign-in", form="key=mlf_nonsense&next=/board", forwarded=attacker)

    with ThreadPoolExecutor(24) as pool:
        codes = Counter(pool.map(fail, range(24)))
    assert codes[429] == 19
    assert codes[401] == 5
    assert rows(db, "failed") == 5
    assert call(two.url, "/v1/organisations", token=token, forwarded=attacker) == 429
    assert call(one.url, "/v1/organisations", token=token, forwarded=other) == 200
    one.stop()
    one.start()
    assert call(one.url, "/v1/organisations", token=token, forwarded=attacker) == 429
    assert call(one.url, "/v1/organisations", token=token, forwarded=other) == 200
