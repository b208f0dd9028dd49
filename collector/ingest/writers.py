"""The ingest pipeline's writer threads: nothing a message holds may stop them.

Each writer takes a batch from its inbox, stores it in one transaction on its own connection and
hands what it committed to the acker. When storing fails:

- the database is unreachable (`OperationalError`): the batch is kept and retried with backoff;
- a deadlock or serialization failure: retried at once;
- the database refuses the data (`DataError`, `IntegrityError`) or our code raises on it (any exception
  that is not psycopg's): the batch is split in halves, each stored alone, down to the message that fails,
  which is quarantined (`store_error`, with the error) while the rest is stored
  (`collector.store.isolation`, which HTTP ingest uses too);
- anything else (privileges, a broken schema: no message's fault): the batch is kept and retried with
  backoff, and the writer reports itself failing, so `/healthz` says why.

A writer thread that dies anyway (a `BaseException`) is restarted by the supervisor with the batch it
held, after a delay that doubles while it keeps dying. Nothing is acked before it is stored.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import psycopg
from psycopg.errors import DeadlockDetected, SerializationFailure, TransactionRollback

from collector.ingest.messages import Batch, Classified
from collector.ingest.metrics import IngestMetrics
from collector.store.isolation import Connection, Write, first_line, store_isolating
from collector.store.writes import WriteResult

log = logging.getLogger(__name__)

Committed = Callable[[list[Classified], WriteResult], None]

RETRY_AT_ONCE = (DeadlockDetected, SerializationFailure, TransactionRollback)
MAX_BACKOFF_S = 10.0
MAX_RESTART_DELAY_S = 30.0


@dataclass
class Writer:
    """One writer's state. Its thread may be replaced (restarted); the batch it holds stays here."""

    index: int
    thread: threading.Thread | None = None
    pending: list[Classified] = field(default_factory=list)
    pending_since: datetime | None = None
    error: str | None = None
    """Why the last attempt failed, while it keeps failing (None when the writer is fine)."""
    deaths: int = 0
    restart_at: float = 0.0

    @property
    def alive(self) -> bool:
        return self.thread is not None and self.thread.is_alive()


class Writers:
    """`count` writer threads and their supervisor."""

    def __init__(
        self,
        count: int,
        conninfo: Callable[[], str],
        take: Callable[[int], list[Classified]],
        write: Write,
        committed: Committed,
        metrics: IngestMetrics,
    ) -> None:
        self._conninfo = conninfo
        self._take = take
        self._write = write
        self._committed = committed
        self._metrics = metrics
        self._stop = threading.Event()
        self.writers = [Writer(i) for i in range(count)]
        self._supervisor = threading.Thread(target=self._supervise, name="ingest-supervisor", daemon=True)

    def start(self) -> None:
        for writer in self.writers:
            self._launch(writer)
        self._supervisor.start()

    def stop(self, timeout: float = 30) -> None:
        self._stop.set()
        self._supervisor.join(timeout=5)
        for writer in self.writers:
            if writer.thread is not None:
                writer.thread.join(timeout=timeout)

    def oldest_pending(self) -> datetime | None:
        return min((w.pending_since for w in self.writers if w.pending_since is not None), default=None)

    def problems(self) -> list[str]:
        """One line per writer that is down or failing (empty when all are working)."""
        out = []
        for w in self.writers:
            if not w.alive and not self._stop.is_set():
                out.append(f"writer {w.index} is down (its thread died); restarting it")
            elif w.error is not None:
                out.append(f"writer {w.index} cannot store its batch of {len(w.pending)}: {w.error}")
        return out

    def _launch(self, writer: Writer) -> None:
        writer.thread = threading.Thread(
            target=self._run, args=(writer,), name=f"ingest-writer-{writer.index}", daemon=True
        )
        writer.thread.start()

    def _supervise(self) -> None:
        while not self._stop.wait(0.2):
            for writer in self.writers:
                if writer.alive or self._stop.is_set():
                    continue
                now = time.monotonic()
                if writer.restart_at == 0.0:  # just found dead
                    writer.deaths += 1
                    self._metrics.writer_restarts.inc()
                    delay = min(MAX_RESTART_DELAY_S, 2.0 ** (writer.deaths - 1))
                    writer.restart_at = now + delay
                    log.error("ingest writer %d died; restarting it in %.0f s", writer.index, delay)
                elif now >= writer.restart_at:
                    writer.restart_at = 0.0
                    self._launch(writer)

    def _run(self, writer: Writer) -> None:
        conn: Connection | None = None
        backoff = 0.5
        try:
            while not self._stop.is_set():
                if not writer.pending:
                    writer.pending = self._take(writer.index)
                    if not writer.pending:
                        continue
                    writer.pending_since = min(m.inbound.received_at for m in writer.pending)
                started = time.perf_counter()
                try:
                    if conn is None or conn.closed:
                        conn = psycopg.connect(self._conninfo(), connect_timeout=5)
                    self._store(conn, writer)
                except RETRY_AT_ONCE as exc:
                    self._metrics.db_errors.inc()
                    log.warning("batch of %d rolled back (%s); retrying", len(writer.pending), exc.sqlstate)
                    continue
                except Exception as exc:  # the database or our code, not a message: keep the batch, retry
                    self._metrics.db_errors.inc()
                    writer.error = first_line(exc)
                    unreachable = isinstance(exc, psycopg.OperationalError)
                    log.warning(
                        "%s (%s); retrying a batch of %d in %.1f s",
                        "database unavailable" if unreachable else f"writer {writer.index} cannot store",
                        writer.error,
                        len(writer.pending),
                        backoff,
                    )
                    if conn is not None and (unreachable or conn.broken):
                        conn.close()
                        conn = None
                    self._stop.wait(backoff)
                    backoff = min(backoff * 2, MAX_BACKOFF_S)
                    continue
                backoff = 0.5
                writer.error = None
                writer.pending_since = None
                self._metrics.batch_seconds.observe(time.perf_counter() - started)
        finally:
            if conn is not None:
                conn.close()

    def _store(self, conn: Connection, writer: Writer) -> None:
        store_isolating(conn, writer.pending, self._write, self._counted)

    def _counted(self, items: list[Classified], batch: Batch, result: WriteResult) -> None:
        self._metrics.count_kinds(len(batch.ratings), len(batch.heartbeats), len(batch.statuses), len(batch.rejections))
        self._committed(items, result)
