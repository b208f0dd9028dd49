"""An API with its alert delivery running (TestClient: the app's own background loops), a webhook receiver and
a mail server; evaluation is run by the tests themselves (`evaluate_at`), at the instants they choose, unless a
test turns the periodic one on (`alerts_interval_s`)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from collector.alerts.evaluate import evaluate
from collector.alerts.evaluation_thread import Evaluate
from collector.api.app import create_app
from collector.config import CollectorSettings
from tests.alerts.receivers import SmtpReceiver, WebhookReceiver
from tests.fixtures.fix_api import Api, api_settings, make_key
from tests.waiting import wait_for


@dataclass
class Alerting(Api):
    settings: CollectorSettings
    hook: WebhookReceiver
    smtp: SmtpReceiver

    def evaluate_at(self, now: datetime) -> list[int]:
        async def run() -> list[int]:
            async with await psycopg.AsyncConnection.connect(self.database_url) as conn:
                return (await evaluate(conn, self.settings, now)).events

        return asyncio.run(run())

    def told(self, now: datetime, alert: str = "below_target") -> list[int]:
        """Evaluate at `now`; the ids of the new events of `alert` (a quiet test kiosk may tell others)."""
        new = set(self.evaluate_at(now))
        return [e["id"] for e in reversed(self.events(alert=alert)) if e["id"] in new]

    def events(self, **params: Any) -> list[dict[str, Any]]:
        return list(self.get("/v1/alerts/events", **params))

    def wait(self, condition: Any, timeout: float = 20) -> None:
        assert wait_for(condition, timeout), "timed out"


@contextmanager
def alerting_with(database_url: str, folder: Path, cycle: Evaluate = evaluate, **overrides: Any) -> Iterator[Alerting]:
    """`cycle`: the periodic evaluation's (runs only with `alerts_interval_s` above 0)."""
    hook, smtp = WebhookReceiver(), SmtpReceiver(folder)
    hook.start()
    smtp.start()
    settings = api_settings(
        database_url,
        **{
            "alerts_send_interval_s": 0.2,
            "alerts_retry_base_s": 0.2,
            "alerts_retry_max_s": 1,
            "alerts_max_failures": 4,
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp.port,
            "smtp_ca_file": smtp.ca_file,
            "smtp_from": "qualita@comune.example.org",
            "public_url": "https://feedback.example.org",
            **overrides,
        },
    )
    try:
        with TestClient(create_app(settings, alert_cycle=cycle)) as client:
            admin, reader = make_key(database_url, "admin"), make_key(database_url, "reader")
            yield Alerting(client, database_url, admin, reader, settings, hook, smtp)
    finally:
        hook.stop()
        smtp.stop()


@pytest.fixture
def alerting(database_url: str, tmp_path: Path) -> Iterator[Alerting]:
    with alerting_with(database_url, tmp_path) as found:
        yield found


@pytest.fixture
def patient_alerting(database_url: str, tmp_path: Path) -> Iterator[Alerting]:
    """Never disables a subscription (a thousand failures in a row)."""
    with alerting_with(database_url, tmp_path, alerts_max_failures=1000) as found:
        yield found
