"""The periodic alert evaluation on a thread of its own, with its own event loop and its own database connection.

At national scale a cycle is about a second of Python (indicator rows and flags for every service point) beside
three of PostgreSQL: on the API's event loop that second would hold every API and board request up. The API's
pool belongs to the API's loop and is never used here; the connection is made as the pool makes its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from psycopg import AsyncConnection

from collector.alerts.evaluate import Cycle
from collector.alerts.settings import AlertSettings

log = logging.getLogger(__name__)

Evaluate = Callable[[AsyncConnection[Any], AlertSettings, datetime], Awaitable[Cycle]]
"""One cycle (`collector.alerts.evaluate.evaluate`)."""
Connect = Callable[[], Awaitable[AsyncConnection[Any]]]

THREAD_NAME = "alert-evaluation"


class EvaluationThread:
    """Evaluates every `alerts_interval_s`; `told()` is called (on this thread) after a cycle stored events.
    A failing cycle is logged and the next one tried with a new connection; `stop()` cancels the cycle under
    way (psycopg cancels its statement in the server), closes the connection and joins the thread."""

    def __init__(self, settings: AlertSettings, connect: Connect, evaluate: Evaluate, told: Callable[[], None]) -> None:
        self._settings, self._connect, self._evaluate, self._told = settings, connect, evaluate, told
        self._thread = threading.Thread(target=self._main, name=THREAD_NAME, daemon=True)
        self._stopping = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float) -> bool:
        """Blocking (call it off any event loop that matters); True when the thread has ended."""
        self._stopping.set()
        loop, task = self._loop, self._task  # set before the thread looks at `_stopping`
        if loop is not None and task is not None:
            with contextlib.suppress(RuntimeError):  # its loop already closed: the thread is ending
                loop.call_soon_threadsafe(task.cancel)
        if self._thread.ident is not None:
            self._thread.join(timeout)
        return not self._thread.is_alive()

    def _main(self) -> None:
        with contextlib.suppress(asyncio.CancelledError):
            asyncio.run(self._run())

    async def _run(self) -> None:
        self._loop, self._task = asyncio.get_running_loop(), asyncio.current_task()
        conn: AsyncConnection[Any] | None = None
        try:
            while not self._stopping.is_set():
                try:
                    conn = conn or await self._connect()
                    cycle = await self._evaluate(conn, self._settings, datetime.now(UTC))
                    if cycle.events:
                        self._told()
                except Exception:  # the next cycle may succeed (database back), on a new connection
                    log.exception("alert evaluation failed; retrying in %.0f s", self._settings.alerts_interval_s)
                    await _closed(conn)
                    conn = None
                await asyncio.sleep(self._settings.alerts_interval_s)
        finally:
            await _closed(conn)


async def _closed(conn: AsyncConnection[Any] | None) -> None:
    if conn is not None:
        with contextlib.suppress(Exception):
            await conn.close()
