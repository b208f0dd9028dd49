"""The alerting's two background loops in a collector process with ingest (`serve --role ingest` or `all`):
evaluation every `COLLECTOR_ALERTS_INTERVAL_S` (one collector at a time: the evaluator's lock) and delivery,
which never holds evaluation up: it only reads the outbox that evaluation fills, and is woken when it does."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime
from typing import Any

import httpx
from psycopg_pool import AsyncConnectionPool

from collector.alerts.evaluate import evaluate
from collector.alerts.sender import send_due
from collector.alerts.settings import AlertSettings

log = logging.getLogger(__name__)


class Alerting:
    def __init__(self, settings: AlertSettings, pool: AsyncConnectionPool[Any]) -> None:
        self._settings, self._pool = settings, pool
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Something was queued (an evaluation's events, a test alert): send now."""
        self._wake.set()

    async def evaluate_now(self) -> list[int]:
        async with self._pool.connection() as conn:
            cycle = await evaluate(conn, self._settings, datetime.now(UTC))
        if cycle.events:
            self.wake()
        return cycle.events

    async def run_evaluation(self) -> None:
        while True:
            try:
                await self.evaluate_now()
            except Exception:  # the next cycle may succeed (database back)
                log.exception("alert evaluation failed; retrying in %.0f s", self._settings.alerts_interval_s)
            await asyncio.sleep(self._settings.alerts_interval_s)

    async def run_delivery(self) -> None:
        async with httpx.AsyncClient(timeout=self._settings.alerts_timeout_s) as client:
            while True:
                self._wake.clear()
                try:
                    while await send_due(self._pool, self._settings, client):
                        pass
                except Exception:
                    log.exception("alert delivery round failed; retrying")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._settings.alerts_send_interval_s)

    def start(self) -> list[asyncio.Task[None]]:
        tasks = [asyncio.create_task(self.run_delivery(), name="alert-delivery")]
        if self._settings.alerts_interval_s > 0:
            tasks.append(asyncio.create_task(self.run_evaluation(), name="alert-evaluation"))
        return tasks
