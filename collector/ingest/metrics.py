"""Prometheus metrics of the ingest path, in a registry of their own (one per pipeline, served at /metrics)."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from collector.store.writes import WriteResult

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


class IngestMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.received = Counter(
            "mlf_ingest_messages_received",
            "Messages received from the broker, by what they turned out to be.",
            ["kind"],
            registry=r,
        )
        self.stored = Counter("mlf_ingest_ratings_stored", "Ratings stored for the first time.", registry=r)
        self.duplicates = Counter(
            "mlf_ingest_duplicates", "Ratings received again (same event id) and not stored twice.", registry=r
        )
        self.quarantined = Counter(
            "mlf_ingest_quarantined", "Messages refused and kept in quarantine, by reason.", ["reason"], registry=r
        )
        self.provisional = Counter(
            "mlf_ingest_ratings_provisional_time",
            "Ratings of unsynchronised kiosks stored at our receive time, for want of a clock anchor yet.",
            registry=r,
        )
        self.reanchored = Counter(
            "mlf_ingest_ratings_reanchored", "Stored ratings moved in time by a new clock anchor.", registry=r
        )
        self.misuse = Counter(
            "mlf_ingest_misuse_flags", "Ratings marked (or unmarked) as misuse.", ["change"], registry=r
        )
        self.batch_seconds = Histogram(
            "mlf_ingest_batch_duration_seconds",
            "Time to write and commit one batch.",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.batch_messages = Histogram(
            "mlf_ingest_batch_messages",
            "Messages per committed batch.",
            buckets=(1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000),
            registry=r,
        )
        self.commit_delay = Histogram(
            "mlf_ingest_commit_delay_seconds",
            "Per batch, from receiving its oldest message to the commit that stored it (acks follow at once).",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.identity_conflicts = Counter(
            "mlf_kiosk_identity_conflicts",
            "Kiosk ids found to have more than one device behind them (conflicts opened), by reason.",
            ["reason"],
            registry=r,
        )
        self.lost = Counter(
            "mlf_kiosk_ratings_lost",
            "Ratings closed as lost: the kiosk deleted them under an earlier watermark and the database no longer "
            "has them (restored to an older point). GET /v1/kiosks has each kiosk's total.",
            registry=r,
        )
        self.found = Counter(
            "mlf_kiosk_ratings_found",
            "Ratings closed as lost before that arrived and were stored after all.",
            registry=r,
        )
        self.db_errors = Counter(
            "mlf_ingest_database_errors", "Failed attempts to write a batch (it is kept and retried).", registry=r
        )
        self.writer_restarts = Counter(
            "mlf_ingest_writer_restarts", "Writer threads that died and were restarted (each a bug).", registry=r
        )
        self.publishes_refused = Counter(
            "mlf_mqtt_publishes_refused",
            "Times the MQTT client refused a publish of ours, all its packet ids awaiting the broker's PUBACK "
            "(under an ingest backlog), by kind (ack: watermarks; config: kiosk configurations). What was refused, "
            "and what was to follow it, is offered again later.",
            ["kind"],
            registry=r,
        )
        self.last_commit = Gauge(
            "mlf_ingest_last_commit_timestamp_seconds", "Unix time of the last committed batch.", registry=r
        )
        self._lag = Gauge(
            "mlf_ingest_lag_seconds",
            "Age of the oldest message received and not yet committed (0 when all is stored).",
            registry=r,
        )
        self._queued = Gauge("mlf_ingest_queued_messages", "Messages received, waiting to be written.", registry=r)
        self._connected = Gauge("mlf_mqtt_connected", "1 while connected to the broker.", registry=r)

    def watch(self, lag: Callable[[], float], queued: Callable[[], int], connected: Callable[[], bool]) -> None:
        """Gauges read at scrape time."""
        self._lag.set_function(lag)
        self._queued.set_function(lambda: float(queued()))
        self._connected.set_function(lambda: 1.0 if connected() else 0.0)

    def count_kinds(self, ratings: int, heartbeats: int, statuses: int, rejected: int) -> None:
        for kind, n in (("rating", ratings), ("heartbeat", heartbeats), ("status", statuses), ("rejected", rejected)):
            if n:
                self.received.labels(kind).inc(n)

    def count_result(self, result: WriteResult) -> None:
        self.stored.inc(result.stored)
        self.duplicates.inc(result.duplicates)
        for reason, n in result.quarantined.items():
            self.quarantined.labels(reason).inc(n)
        self.provisional.inc(result.provisional)
        self.reanchored.inc(result.moved)
        if result.misuse_marked:
            self.misuse.labels("marked").inc(result.misuse_marked)
        if result.misuse_cleared:
            self.misuse.labels("cleared").inc(result.misuse_cleared)
        for conflict in result.identity_conflicts:
            self.identity_conflicts.labels(conflict.reason).inc()
        self.lost.inc(sum(last - first + 1 for ranges in result.lost.values() for first, last in ranges))
        self.found.inc(result.found)
