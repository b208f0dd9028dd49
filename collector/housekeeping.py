"""The collector's housekeeping thread: storage layout at start, then expiry of old rows every hour (ratings,
quarantine, enrolment codes and audit past their retention; failed enrolments and authentications past their
window)."""

from __future__ import annotations

import logging
import threading

import psycopg

from collector.api import auth_failures
from collector.api.auth_failures import AuthFailures
from collector.config import CollectorSettings
from collector.enrolment import limits
from collector.enrolment.limits import EnrolmentLimits
from collector.store import attempts, enrolment
from collector.store.maintenance import Backend, StoragePolicy, prune, setup_storage

log = logging.getLogger(__name__)

INTERVAL_S = 3600.0
FIRST_RUN_S = 60.0


def storage_policy(settings: CollectorSettings) -> StoragePolicy:
    return StoragePolicy(
        timescaledb=settings.timescaledb,
        chunk_days=settings.chunk_days,
        compress_after_days=settings.compress_after_days,
        raw_retention_days=settings.raw_retention_days,
    )


class Housekeeper:
    def __init__(self, settings: CollectorSettings) -> None:
        self._settings = settings
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="housekeeping", daemon=True)
        self.backend: Backend | None = None

    def start(self) -> Backend:
        """Apply the storage layout (raising if it cannot be), then expire old rows periodically."""
        with psycopg.connect(self._settings.database_conninfo(), connect_timeout=10, autocommit=True) as conn:
            self.backend = setup_storage(conn, storage_policy(self._settings))
        log.info("ratings stored on %s", self.backend)
        self._thread.start()
        return self.backend

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def run_once(self) -> dict[str, int]:
        assert self.backend is not None
        s = self._settings
        with psycopg.connect(s.database_conninfo(), connect_timeout=10, autocommit=True) as conn:
            deleted = prune(conn, self.backend, s.raw_retention_days, s.quarantine_retention_days)
            deleted |= enrolment.prune(conn, s.enrol_retention_days)
            enrolments = EnrolmentLimits(s.enrol_failure_limit, s.enrol_failure_limit_total).longest
            failures = AuthFailures(s.auth_failure_limit).longest
            attempted = attempts.prune(conn, limits.KIND, enrolments) + attempts.prune(
                conn, auth_failures.KIND, failures
            )
            return deleted | {"limited_attempts": attempted}

    def _run(self) -> None:
        wait = FIRST_RUN_S
        while not self._stop.wait(wait):
            wait = INTERVAL_S
            try:
                deleted = self.run_once()
            except psycopg.Error as exc:
                log.warning("housekeeping failed (%s); trying again in %.0f s", exc, INTERVAL_S)
                continue
            if any(deleted.values()):
                log.info("expired rows deleted: %s", ", ".join(f"{t} {n}" for t, n in deleted.items() if n))
