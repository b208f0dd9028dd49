"""MQTT -> batch -> database -> ack: the collector's ingest loop.

A writer thread takes what the MQTT link enqueued, groups it into batches (by
size and time), stores each batch in one transaction, and only then acks the
messages to the broker and publishes each kiosk's ack watermark. If the database
is unreachable it keeps the batch and retries: nothing is acked, nothing lost.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg.rows import TupleRow

from collector.config import CollectorSettings
from collector.ingest import Batch, Inbound, Rejection, sort_batch
from collector.mqtt_link import MqttLink
from collector.store.writes import WriteResult, write_batch
from protocol import Ack, TopicKind, build_topic, encode, spec_for

log = logging.getLogger(__name__)


@dataclass
class IngestStats:
    received: int = 0
    stored: int = 0
    duplicates: int = 0
    quarantined: dict[str, int] = field(default_factory=dict)
    batches: int = 0
    db_errors: int = 0
    last_commit_at: datetime | None = None


class IngestPipeline:
    def __init__(self, settings: CollectorSettings) -> None:
        self._settings = settings
        self._inbox: queue.Queue[Inbound] = queue.Queue()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ingest-writer", daemon=True)
        self.link = MqttLink(settings, self._inbox.put)
        self.stats = IngestStats()
        self.db_error: str | None = None

    def start(self) -> None:
        self._thread.start()
        self.link.start()

    def stop(self) -> None:
        """Disconnect first: whatever is still queued is not acked and will be redelivered."""
        self.link.stop()
        self._stop.set()
        self._thread.join(timeout=30)

    def _next_batch(self) -> list[Inbound]:
        try:
            first = self._inbox.get(timeout=0.2)
        except queue.Empty:
            return []
        batch = [first]
        deadline = time.monotonic() + self._settings.batch_wait_ms / 1000
        while len(batch) < self._settings.batch_max:
            remaining = deadline - time.monotonic()
            try:
                batch.append(self._inbox.get(timeout=remaining) if remaining > 0 else self._inbox.get_nowait())
            except queue.Empty:
                break
        return batch

    def _run(self) -> None:
        conn: psycopg.Connection[TupleRow] | None = None
        pending: list[Inbound] = []
        backoff = 0.5
        while not self._stop.is_set():
            if not pending:
                pending = self._next_batch()
                if not pending:
                    continue
            try:
                if conn is None or conn.closed:
                    conn = psycopg.connect(self._settings.database_conninfo(), connect_timeout=5)
                result = self._write(conn, pending)
            except psycopg.OperationalError as exc:
                self.stats.db_errors += 1
                self.db_error = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                log.warning(
                    "database unavailable (%s); retrying a batch of %d in %.1f s",
                    self.db_error,
                    len(pending),
                    backoff,
                )
                if conn is not None:
                    conn.close()
                conn = None
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 10)
                continue
            backoff = 0.5
            self.db_error = None
            self._after_commit(pending, result)
            pending = []
        if conn is not None:
            conn.close()

    def _write(self, conn: psycopg.Connection[TupleRow], messages: list[Inbound]) -> WriteResult:
        """Write a batch; if the database refuses it, write message by message and quarantine the culprits."""
        try:
            return write_batch(conn, sort_batch(messages), **self._write_options())
        except psycopg.OperationalError:
            raise
        except psycopg.Error as exc:
            log.error("batch of %d refused by the database (%s); retrying one by one", len(messages), exc)
        total = WriteResult()
        for message in messages:
            try:
                result = write_batch(conn, sort_batch([message]), **self._write_options())
            except psycopg.OperationalError:
                raise
            except psycopg.Error as exc:
                batch = Batch(rejections=[Rejection(message, "store_error", str(exc).strip()[:500])])
                result = write_batch(conn, batch, **self._write_options())
            total.stored += result.stored
            total.duplicates += result.duplicates
            for reason, n in result.quarantined.items():
                total.quarantined[reason] = total.quarantined.get(reason, 0) + n
            total.watermarks.update(result.watermarks)
        return total

    def _write_options(self) -> dict[str, Any]:
        return {"auto_register": self._settings.auto_register, "timezone": self._settings.timezone}

    def _after_commit(self, messages: list[Inbound], result: WriteResult) -> None:
        for message in messages:
            self.link.ack(message.mid, message.qos)
        now = datetime.now(UTC)
        spec = spec_for(TopicKind.ACK)
        for kiosk_id, (org, seq) in result.watermarks.items():
            ack = Ack(kiosk_id=kiosk_id, seq=seq, at=now)
            self.link.publish(build_topic(org, kiosk_id, TopicKind.ACK), encode(ack), spec.qos, spec.retain)
        stats = self.stats
        stats.received += len(messages)
        stats.stored += result.stored
        stats.duplicates += result.duplicates
        for reason, n in result.quarantined.items():
            stats.quarantined[reason] = stats.quarantined.get(reason, 0) + n
            log.info("quarantined %d message(s): %s", n, reason)
        stats.batches += 1
        stats.last_commit_at = now
