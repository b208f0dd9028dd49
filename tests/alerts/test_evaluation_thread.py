"""The periodic evaluation runs on a thread of its own (its own event loop and connection), never on the API's:
its events are stored and delivered as before, the API answers while a cycle is under way, a failing cycle is
logged and the next one tried, and shutdown cancels a cycle under way, joins the thread and leaves no connection.
Each test runs the real cycle (`evaluate`) on a real PostgreSQL, with a hook of its own around it."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import AsyncConnection

from collector.alerts.evaluate import Cycle, evaluate
from collector.alerts.evaluation_thread import THREAD_NAME
from collector.alerts.settings import AlertSettings
from tests.alerts.conftest import alerting_with
from tests.api.known_data import many, store
from tests.waiting import wait_for


def test_the_periodic_evaluation_runs_off_the_api_loop_and_its_events_are_delivered(
    database_url: str, tmp_path: Path
) -> None:
    threads: set[threading.Thread] = set()

    async def watched(conn: AsyncConnection[Any], settings: AlertSettings, now: datetime) -> Cycle:
        threads.add(threading.current_thread())
        return await evaluate(conn, settings, now)

    now = datetime.now(UTC)
    store(database_url, many(now - timedelta(hours=6), {"positive": 40, "negative": 1}))
    # Deliveries are looked at every 10 minutes: only the evaluation's wake() can send them within the test.
    with alerting_with(database_url, tmp_path, watched, alerts_interval_s=0.2, alerts_send_interval_s=600) as alerting:
        portal = alerting.client.portal  # runs the app's event loop
        assert portal is not None
        api_thread = portal.call(threading.get_ident)
        hook = alerting.post("/v1/alerts/subscriptions", {"organisation": "org", "webhook": alerting.hook.url,
                                                          "alerts": ["below_target"]})  # fmt: skip
        alerting.hook.secret = hook["secret"]
        store(database_url, many(now - timedelta(hours=3), {"neutral": 10, "negative": 40}))
        alerting.wait(lambda: alerting.hook.received)
        (fired,) = alerting.events(alert="below_target")
        (got,) = alerting.hook.received
        assert got.signed
        assert got.body["event"]["id"] == fired["id"]
        assert (fired["status"], fired["service_point"]) == ("firing", "sp-1")
        assert [d["status"] for d in alerting.get("/v1/alerts/deliveries", subscription=hook["id"])] == ["delivered"]
    (thread,) = threads
    assert thread.name == THREAD_NAME
    assert thread.ident != api_thread
    assert not thread.is_alive()


def test_the_api_answers_while_an_evaluation_is_under_way(database_url: str, tmp_path: Path) -> None:
    under_way, release, finished = threading.Event(), threading.Event(), threading.Event()

    async def slow(conn: AsyncConnection[Any], settings: AlertSettings, now: datetime) -> Cycle:
        cycle = await evaluate(conn, settings, now)
        under_way.set()
        release.wait(5)  # holds this loop as a cycle's second of Python does at national scale
        finished.set()
        return cycle

    with alerting_with(database_url, tmp_path, slow, alerts_interval_s=0.2) as alerting:
        assert under_way.wait(20)
        health = alerting.client.get("/healthz")
        events = alerting.get("/v1/alerts/events")
        answered_while_under_way = not finished.is_set()
        release.set()
        assert finished.wait(20)
    assert answered_while_under_way, "the API waited for the evaluation"
    assert health.status_code == 200, health.text
    assert events == []


def test_a_failing_cycle_is_logged_and_the_next_runs_on_a_new_connection(
    database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    backends: list[int] = []

    async def dropped_once(conn: AsyncConnection[Any], settings: AlertSettings, now: datetime) -> Cycle:
        backends.append(conn.info.backend_pid)
        if len(backends) == 1:  # the server drops the connection, as a restart of PostgreSQL would
            await conn.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        return await evaluate(conn, settings, now)

    with caplog.at_level(logging.ERROR), alerting_with(database_url, tmp_path, dropped_once, alerts_interval_s=1):
        assert wait_for(lambda: len(backends) >= 2, 20)
    failed = [r for r in caplog.records if r.getMessage() == "alert evaluation failed; retrying in 1 s"]
    assert len(failed) == 1
    assert failed[0].exc_info is not None
    assert isinstance(failed[0].exc_info[1], psycopg.OperationalError)
    assert backends[0] != backends[1]


def test_shutdown_cancels_a_cycle_under_way_joins_the_thread_and_leaves_no_connection(
    database_url: str, tmp_path: Path
) -> None:
    under_way = threading.Event()
    threads: set[threading.Thread] = set()

    async def stuck(conn: AsyncConnection[Any], settings: AlertSettings, now: datetime) -> Cycle:
        threads.add(threading.current_thread())
        under_way.set()
        await conn.execute("SELECT pg_sleep(120)")  # a statement that would outlast the test
        return await evaluate(conn, settings, now)

    with alerting_with(database_url, tmp_path, stuck, alerts_interval_s=0.2):
        assert under_way.wait(20)
    (thread,) = threads
    assert not thread.is_alive()

    def others() -> list[tuple[Any, ...]]:
        with psycopg.connect(database_url) as conn:
            return conn.execute(
                "SELECT pid, state, query FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).fetchall()

    # A closed connection's server process ends a moment after; the statement was cancelled, not left running.
    assert wait_for(lambda: not others(), 10), others()
