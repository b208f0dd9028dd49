"""Transport -> batch -> database -> ack: the collector's ingest loop.

The transport's thread (MQTT: paho's) parses each message and enqueues it in the inbox of one
writer, chosen by the message's kiosk, so that each kiosk's messages stay in order and two writers
never wait for each other's locks on a kiosk's rows (with a single inbox, the writers of a large fleet
spent half their time waiting on each other). The writer threads (`COLLECTOR_WRITERS`) take batches
(by size and time) from their inbox and store each in one transaction on their own connection;
only then does the acker thread ack the messages to the transport, in the order they arrived
(`collector.ingest.ack_order`), and publish each kiosk's ack watermark. If the database is
unreachable a writer keeps its batch and retries: nothing is acked, nothing lost. See docs/scaling.md.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from datetime import UTC, datetime

import psycopg
from psycopg.rows import TupleRow

from collector.config import CollectorSettings
from collector.housekeeping import Housekeeper
from collector.ingest.ack_order import ArrivalOrder
from collector.ingest.messages import Batch, Classified, Inbound, InstanceKey, classify_safely
from collector.ingest.metrics import IngestMetrics
from collector.ingest.transport import Transport
from collector.ingest.watermarks import ack_message
from collector.ingest.writers import Writers
from collector.store.isolation import Write
from collector.store.writes import WriteResult, write_batch, write_options
from protocol import TopicKind, spec_for

log = logging.getLogger(__name__)
REFUSED_RETRY_S = (0.5, 5.0)
"""Watermarks the transport refused are offered again after the first delay, doubling up to the second
while it keeps refusing."""
WATERMARKS_AT_ONCE = 1000
"""Watermarks built and offered to the transport at once (it may refuse the rest of a round)."""


class IngestPipeline:
    def __init__(self, settings: CollectorSettings, transport: Transport, write: Write | None = None) -> None:
        """`write` stores one batch in one transaction: `write_batch` with the settings' options, unless a
        test puts something around it."""
        self._settings = settings
        self.transport = transport
        self._options = write_options(settings)
        self._inboxes: list[queue.Queue[Classified]] = [queue.Queue() for _ in range(settings.writers)]
        self._published: dict[InstanceKey, int] = {}
        self._order = ArrivalOrder()
        self._conflicted: set[str] = set()
        """Kiosk ids whose identity conflict was open when last heard (their acks say so)."""
        self._committed: queue.Queue[tuple[list[Classified], WriteResult, datetime] | None] = queue.Queue()
        self._acker = threading.Thread(target=self._ack_loop, name="ingest-acker", daemon=True)
        # A batch per writer waits here at most (plus one read) while the writers write theirs. That bounds
        # memory even when the broker sends past our Receive Maximum (see collector/ingest/mqtt_client.py).
        self._inbox_limit = settings.batch_max * settings.writers
        self._flow = threading.Lock()
        self._paused = False
        self.metrics = IngestMetrics()
        self.writers = Writers(
            settings.writers,
            settings.database_conninfo,
            self._next_batch,
            write or self._write_batch,
            self._on_commit,
            self.metrics,
        )
        self.metrics.watch(self._lag, self._queued, lambda: self.transport.connected)
        self.housekeeper = Housekeeper(settings)

    def start(self) -> None:
        self.housekeeper.start()
        self.writers.start()
        self._acker.start()
        self.transport.start(self._receive)

    def stop(self) -> None:
        """Disconnect first: whatever is still queued is not acked and will be redelivered."""
        self.transport.stop()
        self.writers.stop()
        self._committed.put(None)
        self._acker.join(timeout=10)
        self.housekeeper.stop()

    def publish_config(self, topic: str, payload: bytes) -> bool:
        """A kiosk's config, on our own connection (QoS and retain as the protocol says); False when the
        transport refused it (see `_publish_watermarks`): the caller offers it again later."""
        spec = spec_for(TopicKind.CONFIG)
        if self.transport.publish(topic, payload, spec.qos, spec.retain):
            return True
        self.metrics.publishes_refused.labels("config").inc()
        return False

    def publish_watermarks(self, result: WriteResult) -> None:
        """Watermarks of a write made elsewhere (HTTP ingest), published by the acker like ours: never lower."""
        self._committed.put(([], result, datetime.now(UTC)))

    def _receive(self, inbound: Inbound) -> None:
        """On the transport's thread: parse there (it overlaps with the writers' database round trips),
        enqueue, and stop reading while a batch's worth waits to be written."""
        inbox = self._inboxes[hash(inbound.topic.rpartition("/")[0]) % len(self._inboxes)]  # its kiosk's
        self._order.arrived(inbound)
        inbox.put(classify_safely(inbound))
        if not self._paused and self._queued() >= self._inbox_limit:
            self._regulate()

    def _queued(self) -> int:
        return sum(inbox.qsize() for inbox in self._inboxes)

    def _regulate(self) -> None:
        """Pause reading when the inbox is full, resume when it is not (both sides call this)."""
        with self._flow:
            full = self._queued() >= self._inbox_limit
            if full != self._paused:
                self._paused = full
                if full:
                    self.transport.pause_reading()
                else:
                    self.transport.resume_reading()

    def problems(self) -> list[str]:
        """Why ingest is not ready, one line each: a writer down or failing, a lag past the threshold."""
        out = self.writers.problems()
        lag = self._lag()
        if lag > self._settings.health_max_lag_s:
            out.append(f"ingest lags {lag:.0f} s behind (more than {self._settings.health_max_lag_s:g} s)")
        return out

    def _write_batch(self, conn: psycopg.Connection[TupleRow], batch: Batch) -> WriteResult:
        return write_batch(conn, batch, self._options)

    def _on_commit(self, items: list[Classified], result: WriteResult) -> None:
        self._committed.put((items, result, datetime.now(UTC)))

    def _lag(self) -> float:
        oldest = self.writers.oldest_pending()
        if oldest is None:
            heads = [inbox.queue[0].inbound.received_at for inbox in self._inboxes if inbox.queue]
            if not heads:
                return 0.0
            oldest = min(heads)
        return max(0.0, (datetime.now(UTC) - oldest).total_seconds())

    def _next_batch(self, writer: int) -> list[Classified]:
        """The next batch of writer number `writer`, from its inbox."""
        inbox = self._inboxes[writer]
        if self._paused:
            self._regulate()
        try:
            first = inbox.get(timeout=0.2)
        except queue.Empty:
            return []
        batch = [first]
        deadline = time.monotonic() + self._settings.batch_wait_ms / 1000
        while len(batch) < self._settings.batch_max:
            remaining = deadline - time.monotonic()
            try:
                batch.append(inbox.get(timeout=remaining) if remaining > 0 else inbox.get_nowait())
            except queue.Empty:
                break
        if self._paused:
            self._regulate()
        return batch

    def _ack_loop(self) -> None:
        """Acks and watermarks of committed batches, on a thread of their own. Under load it takes every
        batch committed meanwhile at once. Acks go out at once; watermarks at most once per kiosk per
        `ack_interval_ms` (the highest one of that time): one publish, and one PUBACK back, per kiosk
        and interval rather than per kiosk and batch."""
        waiting: dict[InstanceKey, tuple[str, int]] = {}
        next_publish = 0.0
        retry = REFUSED_RETRY_S[0]
        stopping = False
        while not stopping:
            timeout = max(0.0, next_publish - time.monotonic()) if waiting else None
            done, stopping = self._committed_since(timeout)
            try:
                self._after_commit(done, waiting)
                if waiting and (stopping or time.monotonic() >= next_publish):
                    waiting = self._publish_watermarks(waiting)  # those refused wait for the next round
                    interval = self._settings.ack_interval_ms / 1000
                    if waiting:
                        interval, retry = max(interval, retry), min(retry * 2, REFUSED_RETRY_S[1])
                    else:
                        retry = REFUSED_RETRY_S[0]
                    next_publish = time.monotonic() + interval
            except Exception:  # a failed ack means a redelivery, never a loss: keep going
                log.exception("acknowledging committed batches failed")

    def _committed_since(
        self, timeout: float | None
    ) -> tuple[list[tuple[list[Classified], WriteResult, datetime]], bool]:
        """Every committed batch waiting (the first awaited up to `timeout`), and whether stop was asked."""
        done = []
        try:
            item = self._committed.get(timeout=timeout)
            while item is not None:
                done.append(item)
                item = self._committed.get_nowait()
        except queue.Empty:
            return done, False
        return done, True

    def _after_commit(
        self,
        done: list[tuple[list[Classified], WriteResult, datetime]],
        watermarks: dict[InstanceKey, tuple[str, int]],
    ) -> None:
        self.transport.ack(self._order.committed(item.inbound for items, _, _ in done for item in items))
        for items, result, committed_at in done:
            for key, (org, seq) in result.watermarks.items():
                # Writers may finish out of order; a watermark never goes down, so never publish a lower one.
                watermarks[key] = (org, max(seq, watermarks.get(key, (org, 0))[1]))
            self._conflicted = (self._conflicted - {k for k, _ in result.watermarks}) | result.conflicted
            self._count(items, result, committed_at)

    def _publish_watermarks(self, watermarks: dict[InstanceKey, tuple[str, int]]) -> dict[InstanceKey, tuple[str, int]]:
        """One ack per instance heard (each kiosk instance hears its own, even with a twin on its topic).
        Those the transport could not take now, to publish next time. It refuses them while all its packet
        ids await the broker's PUBACK: those come on the connection we stop reading while a backlog waits
        to be written (see `_regulate`), so under a backlog the watermarks wait, and are built only as far
        as they are taken."""
        spec = spec_for(TopicKind.ACK)
        at = datetime.now(UTC)
        items = sorted(watermarks.items())
        for start in range(0, len(items), WATERMARKS_AT_ONCE):
            chunk = [
                (key, org, max(seq, self._published.get(key, 0)))
                for key, (org, seq) in items[start : start + WATERMARKS_AT_ONCE]
            ]
            messages = [ack_message(org, key, seq, at, key[0] in self._conflicted) for key, org, seq in chunk]
            taken = self.transport.publish_many(messages, spec.qos, spec.retain)
            for key, _, seq in chunk[:taken]:
                self._published[key] = seq
            if taken < len(chunk):
                refused = dict(items[start + taken :])
                self.metrics.publishes_refused.labels("ack").inc()
                log.info("%d ack watermark(s) wait: the MQTT client awaits the broker's PUBACKs", len(refused))
                return refused
        return {}

    def _count(self, items: list[Classified], result: WriteResult, committed_at: datetime) -> None:
        metrics = self.metrics
        metrics.count_result(result)
        metrics.batch_messages.observe(len(items))
        if items:  # the batch's oldest message: how far behind the stream we commit
            oldest = min(item.inbound.received_at for item in items)
            metrics.commit_delay.observe((committed_at - oldest).total_seconds())
        metrics.last_commit.set(committed_at.timestamp())
        for reason, n in result.quarantined.items():
            log.info("quarantined %d message(s): %s", n, reason)
        for (kiosk, instance), ranges in sorted(result.lost.items()):
            log.warning(
                "kiosk %s (instance %s): %d rating(s) lost, seq %s: the kiosk no longer holds them and the database "
                "lacks them (restored to an older point?); its watermark moves past them",
                kiosk,
                instance,
                sum(last - first + 1 for first, last in ranges),
                ", ".join(f"{first}-{last}" if last > first else str(first) for first, last in ranges),
            )
        if result.found:
            log.info("%d rating(s) closed as lost arrived after all and are stored", result.found)
