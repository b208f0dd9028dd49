"""The collector's writers against a database that refuses things, over a real broker.

A rating the database refuses is isolated and quarantined with the database's error while the rest of
its batch is stored. A database that refuses every write (no privilege: nobody's message is to blame)
keeps every rating waiting, quarantines none, and `/healthz` says 503 and why until it is fixed.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from devstack.mosquitto import LocalMosquitto
from tests.fixtures.fix_collector import CollectorProcess
from tests.fixtures.fix_kiosk_mqtt import Publisher
from tests.fixtures.kiosk_messages import rating, wire
from tests.waiting import wait_for

NOW = datetime.now(UTC).replace(microsecond=0)

REFUSE = """
CREATE FUNCTION refuse_rating() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF {condition} THEN
        RAISE EXCEPTION '{message}' USING ERRCODE = '{code}';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER refuse BEFORE INSERT ON ratings FOR EACH ROW EXECUTE FUNCTION refuse_rating();
"""


def refuse(database_url: str, condition: str, message: str, code: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(REFUSE.format(condition=condition, message=message, code=code).encode())


def health(collector: CollectorProcess) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(collector.url + "/healthz", timeout=5) as response:  # noqa: S310 - loopback
            return response.status, json.load(response)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc)


def count(database_url: str, table: str) -> int:
    with psycopg.connect(database_url) as conn:
        row = conn.execute(f"SELECT count(*) FROM {table}".encode()).fetchone()  # noqa: S608 - our table names
    return int(row[0]) if row else 0


def test_a_rating_the_database_refuses_is_quarantined_and_the_rest_of_its_batch_stored(
    collector: CollectorProcess, publisher: Publisher, database_url: str
) -> None:
    refuse(database_url, "NEW.kiosk_id = 'k0' AND NEW.seq = 21", "value out of range for k0/21", "22003")
    good = [rating(f"k{k}", s, pressed_at=NOW - timedelta(minutes=60 - s)) for s in range(1, 21) for k in range(3)]
    poison, after = (rating("k0", s, pressed_at=NOW - timedelta(seconds=30 - s)) for s in (21, 22))
    publisher.send_all(wire("org", [*good[:30], poison, *good[30:], after]))
    assert wait_for(lambda: count(database_url, "ratings") == len(good) + 1, timeout=30)
    assert wait_for(lambda: count(database_url, "quarantine") == 1, timeout=10)
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT reason, detail, kiosk_id, seq FROM quarantine").fetchone()
        ack = "SELECT max(acked_seq) FROM kiosk_instances WHERE kiosk_id = 'k0'"
        acked = wait_for(lambda: conn.execute(ack).fetchone() == (22,))
    assert row == ("store_error", "NumericValueOutOfRange: value out of range for k0/21", "k0", 21)
    assert acked, "resending would not help: its sequence number counts as accounted for"
    assert health(collector)[0] == 200


def test_healthz_says_why_while_the_database_refuses_every_write_and_nothing_is_lost(
    collector: CollectorProcess, publisher: Publisher, database_url: str, broker: LocalMosquitto
) -> None:
    refuse(database_url, "true", "permission denied for table ratings", "42501")
    ratings = [rating("k1", s, pressed_at=NOW - timedelta(minutes=60 - s)) for s in range(1, 11)]
    publisher.send_all(wire("org", ratings))

    def not_ready() -> dict[str, Any] | None:
        status, body = health(collector)
        return body if status == 503 else None

    body = wait_for(not_ready, timeout=20)
    assert body, "healthz kept saying ok while no rating could be stored"
    assert body["status"] == "degraded"
    assert body["broker"]["ok"]
    assert body["database"]["ok"]
    assert not body["ingest"]["ok"]
    assert "InsufficientPrivilege: permission denied for table ratings" in body["ingest"]["detail"]
    assert count(database_url, "quarantine") == 0, "no message is to blame: none may be quarantined"

    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("DROP TRIGGER refuse ON ratings")
    assert wait_for(lambda: count(database_url, "ratings") == len(ratings), timeout=30)
    assert wait_for(lambda: health(collector)[0] == 200, timeout=10), health(collector)
    assert count(database_url, "quarantine") == 0
