"""Keeps what kiosks get in step with the registry, whoever changed it (the API, the CLI, another collector).

At start it writes the broker files and republishes every kiosk's retained config (so a lost retained
message heals); then every `provisioning_interval_s`, or at once when the API pokes it, it does the same
for what changed, and offers again the configs the MQTT client refused last time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from pathlib import Path

import psycopg

from collector.config import CollectorSettings
from collector.provisioning import broker_files, kiosk_configs
from collector.store import provisioning

log = logging.getLogger(__name__)

REPUBLISH_ALL_EVERY_S = 3600.0
NAMED_IN_LOG = 5
"""Kiosks named in the log line about configs waiting (the others counted)."""


def sync_broker_files(
    conn: psycopg.Connection[tuple[object, ...]], settings: CollectorSettings, *, reload_pending: bool = False
) -> bool:
    """Rewrite the password and ACL files from the registry; reload the broker if either changed (or a
    reload failed before: `reload_pending`). `BrokerReloadError` if the reload did not happen."""
    if settings.broker_password_file is None and settings.broker_acl_file is None:
        return False
    accounts = [broker_files.KioskAccount(*account) for account in provisioning.kiosk_accounts(conn)]
    changed = False
    if settings.broker_password_file is not None:
        static = _read(settings.broker_static_passwords)
        text = broker_files.password_file(accounts, static)
        changed |= broker_files.write_atomically(settings.broker_password_file, text)
    if settings.broker_acl_file is not None:
        text = broker_files.acl_file(accounts, settings.mqtt_username, _read(settings.broker_static_acl))
        changed |= broker_files.write_atomically(settings.broker_acl_file, text)
    if changed:
        log.info("broker files rewritten for %d kiosk account(s)", len(accounts))
    if changed or reload_pending:
        broker_files.reload_broker(settings.broker_reload_command)
    return changed


def _read(path: Path | None) -> str:
    return path.read_text(encoding="utf-8") if path is not None else ""


class Reconciler:
    def __init__(self, settings: CollectorSettings, publish: kiosk_configs.Publish | None) -> None:
        self._settings, self._publish = settings, publish
        self._poke = asyncio.Event()
        self._lock = asyncio.Lock()
        self._last_full = 0.0
        self._reload_pending = False
        self._memo: kiosk_configs.Memo = {}
        self._waiting: list[str] = []
        """Kiosks whose config the MQTT client refused at the last pass: offered again at the next."""

    def poke(self) -> None:
        """Something changed: reconcile now rather than at the next interval."""
        self._poke.set()

    def run_once(self) -> None:
        everything = time.monotonic() - self._last_full > REPUBLISH_ALL_EVERY_S
        failed_reload = None
        with psycopg.connect(self._settings.database_conninfo(), autocommit=True, connect_timeout=5) as conn:
            try:
                sync_broker_files(conn, self._settings, reload_pending=self._reload_pending)
                self._reload_pending = False
            except broker_files.BrokerReloadError as exc:  # configs still go out; the reload is retried
                self._reload_pending, failed_reload = True, exc
            if self._publish is not None:
                synced = kiosk_configs.sync(
                    conn, self._publish, everything=everything, memo=self._memo, again=self._waiting
                )
                self._waiting = synced.waiting
                if synced.published:
                    log.info("published %d kiosk configuration(s)", len(synced.published))
                if synced.waiting:
                    self._log_waiting(synced.waiting)
        if everything:
            self._last_full = time.monotonic()
        if failed_reload is not None:
            raise failed_reload

    def _log_waiting(self, kiosks: list[str]) -> None:
        named = ", ".join(kiosks[:NAMED_IN_LOG]) + (
            f" and {len(kiosks) - NAMED_IN_LOG} more" if kiosks[NAMED_IN_LOG:] else ""
        )
        log.warning(
            "%d kiosk configuration(s) not published yet (%s): the collector's MQTT client refused them, its "
            "messages all await the broker's acknowledgement (an ingest backlog?); offered again within %.0f s",
            len(kiosks),
            named,
            self._settings.provisioning_interval_s,
        )

    async def now(self) -> None:
        """Reconcile before returning, e.g. so a kiosk registered by the API can connect right after."""
        async with self._lock:
            await asyncio.to_thread(self.run_once)

    async def run(self) -> None:
        while True:
            self._poke.clear()
            try:
                await self.now()
            except broker_files.BrokerReloadError:
                pass  # logged in one line where it happened; retried below
            except psycopg.OperationalError as exc:  # the database restarting: one line, not a traceback
                log.warning(
                    "kiosk provisioning: database unavailable (%s); retrying in %.0f s",
                    str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__,
                    self._settings.provisioning_interval_s,
                )
            except Exception:  # keep reconciling; the next round may succeed (database back, file writable)
                log.exception("kiosk provisioning failed; retrying in %.0f s", self._settings.provisioning_interval_s)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._poke.wait(), self._settings.provisioning_interval_s)
