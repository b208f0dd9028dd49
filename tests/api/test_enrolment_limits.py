"""Failed enrolment attempts are limited in PostgreSQL, once for every collector process: failures made through
one process are counted by another, a restart keeps them, the window moves on, housekeeping deletes what it
left, attempts made at once lose no count, and `X-Forwarded-For` names the client only from a trusted proxy."""

from __future__ import annotations

import asyncio
import json
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
from collector.api.attempt_limits import client_key
from collector.enrolment.codes import new_code
from collector.housekeeping import Housekeeper
from collector.store import attempts
from collector.store.attempts import Limit, Spent
from devstack.processes import free_port
from tests.api.test_enrolment import enrol, make_code, registry
from tests.fixtures.fix_api import Api, api_settings
from tests.fixtures.fix_collector import CollectorProcess

LIMITS = {"enrol_failure_limit": "3/hour", "enrol_failure_limit_total": "50/day"}


def app_on(database_url: str, **overrides: Any) -> TestClient:
    """One collector's API (its own app, nothing shared with another but the database)."""
    return TestClient(create_app(api_settings(database_url, **(LIMITS | overrides))))


def wrong(n: int) -> str:
    return f"1111-2222-3333-{n:04d}"


BACKDATE = {
    "oldest": "UPDATE limited_attempts SET at = now() - %s::interval WHERE id = (SELECT min(id) FROM limited_attempts)",
    "newest": "UPDATE limited_attempts SET at = now() - %s::interval WHERE id = (SELECT max(id) FROM limited_attempts)",
}


def failures(db: psycopg.Connection[Any]) -> int:
    row = db.execute("SELECT count(*) FROM limited_attempts WHERE failed").fetchone()
    assert row is not None
    return int(row[0])


def test_failures_through_one_process_are_counted_by_another_and_outlive_a_restart(
    database_url: str, db: psycopg.Connection[Any]
) -> None:
    with app_on(database_url) as one, app_on(database_url) as two:
        assert [enrol(one, wrong(n)).status_code for n in range(2)] == [404, 404]
        assert enrol(two, wrong(2)).status_code == 404
        for client in (one, two):  # either process: this address has spent its three failures
            stopped = enrol(client, wrong(3))
            assert stopped.status_code == 429
            assert stopped.headers["content-type"] == "application/problem+json"
            assert "this address" in stopped.json()["detail"]
            assert 3500 < int(stopped.headers["Retry-After"]) <= 3600
    assert failures(db) == 3
    with app_on(database_url) as restarted:
        assert enrol(restarted, wrong(4)).status_code == 429  # a restart forgets nothing
        elsewhere = TestClient(restarted.app, client=("192.0.2.7", 50000))
        assert enrol(elsewhere, wrong(5)).status_code == 404  # another address is not held back
    assert failures(db) == 4


def test_the_window_moves_on(database_url: str, db: psycopg.Connection[Any]) -> None:
    """Moving windows: a failure counts for an hour after it was made, then no more; `Retry-After` says when
    the oldest one leaves. The overall limit likewise."""
    with app_on(database_url, enrol_failure_limit_total="4/hour") as client:
        assert [enrol(client, wrong(n)).status_code for n in range(3)] == [404] * 3
        db.execute(BACKDATE["oldest"], ("50 minutes",))
        db.execute(
            "UPDATE limited_attempts SET at = now() - interval '20 minutes' WHERE at > now() - interval '1 minute'"
        )
        stopped = enrol(client, wrong(3))
        assert 590 <= int(stopped.headers["Retry-After"]) <= 600  # the one made 50 minutes ago leaves in 10
        db.execute("UPDATE limited_attempts SET at = at - interval '10 minutes 1 second'")
        assert enrol(client, wrong(4)).status_code == 404  # one slot free again
        assert enrol(client, wrong(5)).status_code == 429
        others = TestClient(client.app, client=("192.0.2.7", 50000))
        assert enrol(others, wrong(6)).status_code == 404  # everyone's fourth failure within the hour
        overall = enrol(others, wrong(7))
        assert overall.status_code == 429
        assert "everywhere" in overall.json()["detail"]
        assert 1790 <= int(overall.headers["Retry-After"]) <= 1800  # the oldest left, 30 min old, leaves in 30
        db.execute("UPDATE limited_attempts SET at = at - interval '1 hour'")
        assert enrol(client, wrong(8)).status_code == 404


def test_a_right_code_is_no_failure_and_no_address_is_written(api: Api, db: psycopg.Connection[Any]) -> None:
    registry(api)
    assert enrol(api.client, make_code(api)["code"]).status_code == 200
    assert db.execute("SELECT count(*) FROM limited_attempts").fetchone() == (0,)
    assert enrol(api.client, wrong(1)).status_code == 404
    row = db.execute("SELECT client FROM limited_attempts").fetchone()
    assert row is not None
    client = bytes(row[0])
    assert len(client) == 32  # an HMAC under the day's secret, deleted the next day
    assert b"testclient" not in client


def test_ipv6_clients_count_by_their_64(database_url: str) -> None:
    assert client_key("2001:db8:0:7::1") == client_key("2001:db8:0:7:ffff::9") == "2001:db8:0:7::/64"
    assert client_key("2001:db8:0:8::1") != client_key("2001:db8:0:7::1")
    assert client_key("::ffff:192.0.2.7") == client_key("192.0.2.7") == "192.0.2.7"
    assert client_key("unknown") == "unknown"
    with app_on(database_url) as app:
        same_host = [TestClient(app.app, client=(f"2001:db8:0:7::{n}", 50000)) for n in range(1, 5)]
        assert [enrol(c, wrong(n)).status_code for n, c in enumerate(same_host)] == [404, 404, 404, 429]
        neighbour = TestClient(app.app, client=("2001:db8:0:8::1", 50000))
        assert enrol(neighbour, wrong(9)).status_code == 404


def test_housekeeping_deletes_attempts_past_their_window(api: Api, db: psycopg.Connection[Any]) -> None:
    """Past the longest window (here the overall one, a day) an attempt counts for nothing: housekeeping deletes
    it, whatever `COLLECTOR_ENROL_RETENTION_DAYS` keeps of codes and audit rows."""
    for n in range(3):
        assert enrol(api.client, wrong(n)).status_code == 404
    db.execute(BACKDATE["oldest"], ("25 hours",))
    db.execute(BACKDATE["newest"], ("2 hours",))
    keeper = Housekeeper(api_settings(api.database_url, enrol_retention_days=0, **LIMITS))
    keeper.backend = "postgresql"
    assert keeper.run_once()["limited_attempts"] == 1
    assert db.execute("SELECT count(*) FROM limited_attempts").fetchone() == (2,)
    assert keeper.run_once()["limited_attempts"] == 0


def test_attempts_at_once_lose_no_count(database_url: str) -> None:
    """Forty attempts of one client at once, each on its own connection (as from several processes): exactly
    the limit's ten go ahead, the rest are refused; while those ten run, the wait is a moment."""
    per_client, overall = Limit(10, timedelta(hours=1)), Limit(1000, timedelta(hours=1))

    async def race() -> list[int | Spent]:
        async def one() -> int | Spent:
            async with await psycopg.AsyncConnection.connect(database_url) as conn:
                return await attempts.begin(conn, "enrolment", b"c" * 32, per_client, overall)

        return list(await asyncio.gather(*(one() for _ in range(40))))

    outcomes = asyncio.run(race())
    begun = [o for o in outcomes if isinstance(o, int)]
    refused = [o for o in outcomes if isinstance(o, Spent)]
    assert (len(begun), len(refused)) == (10, 30)
    assert {(s.per_client, s.wait) for s in refused} == {(True, attempts.SOON)}
    with psycopg.connect(database_url, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM limited_attempts").fetchone() == (10,)


def post_code(url: str, code: str, forwarded: str | None = None) -> int:
    headers = {"Content-Type": "application/json", **({"X-Forwarded-For": forwarded} if forwarded else {})}
    request = urllib.request.Request(  # noqa: S310 - loopback
        url + "/v1/enrolment", data=json.dumps({"code": code}).encode(), method="POST", headers=headers
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
            return int(response.status)
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code


def decoys(database_url: str, lookup: str, n: int) -> None:
    """Codes whose first digits are the guesses': each guess checks their slow hashes, so attempts overlap."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("INSERT INTO organisations (id, name) VALUES ('roma', 'Roma')")
        conn.execute("INSERT INTO service_points (id, org_id, name) VALUES ('roma-sp', 'roma', 'Sportello')")
        for _ in range(n):
            made = new_code()
            conn.execute(
                "INSERT INTO enrolment_codes (lookup, salt, code_hash, org_id, service_point_id, expires_at)"
                " VALUES (%s, %s, %s, 'roma', 'roma-sp', now() + interval '1 day')",
                (lookup, made.salt, made.code_hash),
            )


def test_two_collector_processes_count_once_and_trust_forwarded_for_only_from_a_named_proxy(
    start_collector: Callable[..., CollectorProcess], database_url: str, db: psycopg.Connection[Any]
) -> None:
    """Two `mlf-collector serve --role api` on one database, trusting no proxy: 24 wrong codes sent at once,
    half to each, every one naming another address in `X-Forwarded-For`, are all the one loopback client's;
    exactly its 5 failures get through. Restarted, a process still refuses. A process that trusts the
    loopback proxy (the default) counts the forwarded address instead."""
    decoys(database_url, "1111", 3)
    limits = {"COLLECTOR_ENROL_FAILURE_LIMIT": "5/hour", "COLLECTOR_ENROL_FAILURE_LIMIT_TOTAL": "100/hour"}
    mqtt = {"COLLECTOR_MQTT_PORT": str(free_port())}  # the API alone: nobody listens there
    one, two = (
        start_collector("serve", "--role", "api", COLLECTOR_FORWARDED_ALLOW_IPS="", **limits, **mqtt) for _ in range(2)
    )
    start = threading.Barrier(24)

    def guess(n: int) -> int:
        start.wait()
        return post_code((one, two)[n % 2].url, wrong(n), forwarded=f"198.51.100.{n + 1}")

    with ThreadPoolExecutor(24) as pool:
        codes = Counter(pool.map(guess, range(24)))
    assert codes == {404: 5, 429: 19}
    assert failures(db) == 5
    one.stop()
    one.start()
    assert post_code(one.url, wrong(30)) == 429
    proxied = start_collector("serve", "--role", "api", **limits, **mqtt)  # trusts 127.0.0.1 and ::1
    assert post_code(proxied.url, wrong(31), forwarded="198.51.100.77") == 404
    assert post_code(proxied.url, wrong(32)) == 429  # the proxy's own address has spent its failures
    assert failures(db) == 6
