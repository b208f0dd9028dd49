"""Exactly-once effect through real failures: redelivery, SIGKILL of the collector, PostgreSQL restart.

The collector runs as users run it (its own process); kiosks are a paho client publishing
protocol models with QoS 1; the truth is read from the database and the broker.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

from devstack.mosquitto import LocalMosquitto
from devstack.postgres import LocalPostgres
from tests.fixtures.fix_collector import CollectorProcess, collector_env
from tests.fixtures.fix_kiosk_mqtt import Publisher, retained_acks
from tests.fixtures.kiosk_messages import fleet, rating, wire
from tests.fixtures.prometheus import scrape
from tests.waiting import wait_for

KIOSKS, PER_KIOSK = 20, 1000
START = datetime.now(UTC).replace(microsecond=0) - timedelta(days=5)


def count(url: str, query: str = "SELECT count(*) FROM ratings") -> int:
    try:
        with psycopg.connect(url, connect_timeout=2) as conn:
            row = conn.execute(query.encode()).fetchone()
            return int(row[0]) if row else 0
    except psycopg.OperationalError:
        return -1


def assert_exactly_once(url: str, sent: int, kiosks: int, per_kiosk: int, port: int) -> None:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*), count(DISTINCT event_id) FROM ratings").fetchone()
        assert row == (sent, sent)
        rollup = conn.execute("SELECT sum(positive + neutral + negative + misuse) FROM rollup_daily").fetchone()
        assert rollup == (sent,)
        counters = conn.execute("SELECT kiosk_id, acked_seq FROM kiosk_instances").fetchall()
        watermarks: dict[object, object] = dict(counters)
        assert watermarks == {f"ch-k{k}": per_kiosk for k in range(kiosks)}
        assert conn.execute("SELECT count(*) FROM sequence_gaps WHERE closed_at IS NULL").fetchone() == (0,)
    assert wait_for(lambda: retained_acks(port, wait=0.5) == watermarks, timeout=20)


def publish_in_background(publisher: Publisher, messages: list[tuple[str, bytes]]) -> threading.Thread:
    thread = threading.Thread(target=publisher.send_all, args=(messages,), daemon=True)
    thread.start()
    return thread


def test_same_event_three_times_is_stored_once(
    broker: LocalMosquitto, start_collector: Callable[..., CollectorProcess], publisher: Publisher, database_url: str
) -> None:
    collector = start_collector()
    message = wire("ch", [rating("ch-k0", 1, pressed_at=START)])
    publisher.send_all(message * 2)
    assert wait_for(lambda: count(database_url) == 1)
    collector.stop()
    publisher.send_all(message)  # the third copy waits in the broker for the restarted collector
    restarted = start_collector()
    assert wait_for(lambda: scrape(restarted.url, restarted.token).get("mlf_ingest_duplicates_total") == 1)
    assert count(database_url) == 1
    assert count(database_url, "SELECT sum(positive) FROM rollup_hourly") == 1
    assert retained_acks(broker.port) == {"ch-k0": 1}


def test_sigkill_mid_stream_loses_nothing_and_doubles_nothing(
    broker: LocalMosquitto, start_collector: Callable[..., CollectorProcess], publisher: Publisher, database_url: str
) -> None:
    messages = wire("ch", fleet("ch", KIOSKS, PER_KIOSK, START, timedelta(seconds=20)))
    collector = start_collector()
    sender = publish_in_background(publisher, messages)
    assert wait_for(lambda: count(database_url) >= 3000, timeout=60)
    collector.kill()
    stored_at_kill = count(database_url)
    assert stored_at_kill < len(messages), "the stream was over before the kill: nothing was tested"
    sender.join(120)
    start_collector()
    assert wait_for(lambda: count(database_url) >= len(messages), timeout=120), count(database_url)
    time.sleep(1)  # anything still arriving would be a duplicate
    assert_exactly_once(database_url, len(messages), KIOSKS, PER_KIOSK, broker.port)


def test_postgres_restarted_under_load_loses_nothing(
    broker: LocalMosquitto, own_postgres: LocalPostgres, tmp_path: Path, publisher: Publisher, mqtt_fast_path: str
) -> None:
    url = own_postgres.create_database("mlf")
    env = collector_env(url, broker, COLLECTOR_MQTT_CLIENT_ID="pg-restart", COLLECTOR_MQTT_FAST_PATH=mqtt_fast_path)
    collector = CollectorProcess(env, int(env["COLLECTOR_HTTP_PORT"]), tmp_path / "collector.log")
    collector.start()
    try:
        messages = wire("ch", fleet("ch", KIOSKS // 2, PER_KIOSK, START, timedelta(seconds=20)))
        sender = publish_in_background(publisher, messages)
        assert wait_for(lambda: count(url) >= 2000, timeout=60)
        own_postgres.stop("immediate")  # a crash: recovery from the WAL at the next start
        outage = wait_for(lambda: _degraded(collector), 15)
        time.sleep(2)
        own_postgres.start()
        sender.join(120)
        assert wait_for(lambda: count(url) >= len(messages), timeout=120), count(url)
        time.sleep(1)
        assert_exactly_once(url, len(messages), KIOSKS // 2, PER_KIOSK, broker.port)
        assert outage, "the collector never noticed the database was down"
        assert "database unavailable" in collector.log_text()
    finally:
        collector.stop()


def _degraded(collector: CollectorProcess) -> bool:
    try:
        collector.get("/healthz")
    except Exception:  # 503 while the database is down
        return True
    return False
