"""The alerting's two background loops in a collector process with ingest (`serve --role ingest` or `all`):
evaluation every `COLLECTOR_ALERTS_INTERVAL_S` (one collector at a time: the evaluator's lock) and delivery,
which never holds evaluation up: it only reads the outbox that evaluation fills, and is woken when it does.

Delivery is a task on the API's event loop, on the API's pool. Evaluation runs on a thread of its own with its
own event loop and connection (`collector.alerts.evaluation_thread`): its second of Python a cycle at national
scale never holds an API or board request up."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import httpx
from psycopg_pool import AsyncConnectionPool

from collector.alerts.evaluate import evaluate
from collector.alerts.evaluation_thread import Connect, Evaluate, EvaluationThread
from collector.alerts.sender import send_due
from collector.alerts.settings import AlertSettings

log = logging.getLogger(__name__)

STOP_TIMEOUT_S = 10.0
"""How long shutdown waits for the evaluation thread (a cycle under way is cancelled: it takes far less)."""


class Alerting:
    """`connect` makes the evaluation's own connection (as the pool makes its own); `evaluate` is one cycle."""

    def __init__(
        self,
        settings: AlertSettings,
        pool: AsyncConnectionPool[Any],
        connect: Connect,
        *,
        evaluate: Evaluate = evaluate,
    ) -> None:
        self._settings, self._pool = settings, pool
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._evaluation = EvaluationThread(settings, connect, evaluate, told=self.wake)

    def wake(self) -> None:
        """Something was queued (an evaluation's events, a test alert): send now. Safe from any thread."""
        if self._loop is None:  # delivery not started (`--role api`): nobody to wake
            return
        with contextlib.suppress(RuntimeError):  # the loop closed: the process is stopping
            self._loop.call_soon_threadsafe(self._wake.set)

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

    def start(self) -> None:
        """Delivery on the running loop; evaluation on its thread, unless `alerts_interval_s` is 0."""
        self._loop = asyncio.get_running_loop()
        self._tasks = [asyncio.create_task(self.run_delivery(), name="alert-delivery")]
        if self._settings.alerts_interval_s > 0:
            self._evaluation.start()

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        if not await asyncio.to_thread(self._evaluation.stop, STOP_TIMEOUT_S):
            log.warning("alert evaluation did not stop within %.0f s; left to end with the process", STOP_TIMEOUT_S)
