"""A fleet of simulated kiosks, one process each: start, press, kill, restart, stop.

Processes come from a fork server that has already imported the kiosk code, so
fifty start in about a second and share most of their memory. Each has its own
MQTT client, outbox (`<data_dir>/<kiosk_id>/`), identity and mock pins. Killing one
is a real SIGKILL: whatever it had not written to disk is gone, as on a power cut.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from pathlib import Path

from firmware_sim.worker import WorkerSpec, serve
from kiosk.core.device import ExclusiveUse, FolderInUse
from kiosk.core.outbox import OutboxError, OutboxStats, peek
from kiosk.core.settings import OUTBOX_FILE

log = logging.getLogger(__name__)

_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload(["firmware_sim.worker"])


@dataclass
class KioskHandle:
    """The fleet's view of one kiosk: its process and what it reported."""

    index: int
    spec: WorkerSpec
    process: BaseProcess | None = None
    conn: Connection | None = None
    ready: bool = False
    busy: bool = False
    """A citizen is at the kiosk (sent, not finished yet)."""
    online: bool = False
    synced: int = 0
    presses: int = 0
    accepted: int = 0
    ignored: int = 0
    failed: int = 0
    kills: int = 0
    event_ids: list[str] = field(default_factory=list)
    start_stats: OutboxStats | None = None

    @property
    def kiosk_id(self) -> str:
        return str(self.spec.settings["kiosk_id"])

    @property
    def data_dir(self) -> Path:
        return Path(self.spec.settings["data_dir"])

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.is_alive() and self.conn is not None

    def stats(self) -> OutboxStats | None:
        return peek(self.data_dir / OUTBOX_FILE)


class Fleet:
    def __init__(self, specs: list[WorkerSpec]) -> None:
        self.kiosks = [KioskHandle(i, spec) for i, spec in enumerate(specs)]
        self._token = 0

    def start(self, handle: KioskHandle) -> None:
        """Start one kiosk's process; `OutboxError` if that kiosk already runs from the same folder."""
        handle.data_dir.mkdir(parents=True, exist_ok=True)
        try:  # the kiosk's own process takes this lock for as long as it runs (see `Outbox`)
            ExclusiveUse(handle.data_dir / f"{OUTBOX_FILE}.lock").release()
        except FolderInUse as exc:
            raise OutboxError(
                f"kiosk {handle.kiosk_id} is already running: {exc}; stop that run, or give this one another "
                "--data-dir (and --org, so the two runs do not share kiosk ids)"
            ) from None
        if handle.start_stats is None:
            handle.start_stats = handle.stats() or OutboxStats(0, 0, 0, None)
        parent, child = _CONTEXT.Pipe()
        process = _CONTEXT.Process(target=serve, args=(handle.spec, child), name=handle.kiosk_id, daemon=True)
        process.start()
        child.close()
        handle.process, handle.conn, handle.ready = process, parent, False

    def start_all(self, timeout: float = 60) -> None:
        """Start every kiosk that is not running, and wait until all are up."""
        for handle in self.kiosks:
            if not handle.alive:
                self.start(handle)
        deadline = time.monotonic() + timeout
        while not all(h.ready for h in self.kiosks):
            if time.monotonic() > deadline:
                missing = [h.kiosk_id for h in self.kiosks if not h.ready]
                raise TimeoutError(f"simulated kiosks did not start: {', '.join(missing[:5])}")
            self.poll(0.2)

    def citizen(self, handle: KioskHandle, face: str, reason: int | None, mash: int, queue: bool = False) -> bool:
        """Send a citizen to a kiosk; False if it is off (killed, not restarted yet) or busy (unless `queue`)."""
        if not handle.alive or not handle.ready or handle.conn is None or (handle.busy and not queue):
            return False
        try:
            handle.conn.send(("citizen", face, reason, mash))
        except OSError:
            return False
        handle.busy = True
        return True

    def sync_all(self, timeout: float = 60) -> None:
        """Wait until every running kiosk has carried out the citizens already sent to it."""
        self._token += 1
        waiting = []
        for handle in self.kiosks:
            if handle.alive and handle.conn is not None:
                try:
                    handle.conn.send(("sync", self._token))
                    waiting.append(handle)
                except OSError:
                    pass
        deadline = time.monotonic() + timeout
        while any(h.synced != self._token and h.alive for h in waiting) and time.monotonic() < deadline:
            self.poll(0.1)

    def kill(self, handle: KioskHandle) -> None:
        """SIGKILL: no goodbye, no flush; the broker publishes the kiosk's last will."""
        if handle.process is not None and handle.process.is_alive():
            handle.process.kill()
            handle.process.join(10)
            handle.kills += 1
        self._forget(handle)

    def _forget(self, handle: KioskHandle) -> None:
        if handle.conn is not None:
            handle.conn.close()
        if handle.process is not None:
            handle.process.join(0)
            if handle.process.exitcode is not None:
                handle.process.close()
        handle.process, handle.conn, handle.ready, handle.online, handle.busy = None, None, False, False, False

    def stop(self, handle: KioskHandle, timeout: float = 15) -> None:
        """A clean stop: `offline` status, then exit."""
        if handle.conn is not None and handle.alive:
            with contextlib.suppress(OSError):
                handle.conn.send(("stop",))
            deadline = time.monotonic() + timeout
            while handle.process is not None and handle.process.is_alive() and time.monotonic() < deadline:
                self.poll(0.1)
        if handle.process is not None and handle.process.is_alive():
            self.kill(handle)
        self._forget(handle)

    def stop_all(self) -> None:
        for handle in self.kiosks:
            if handle.conn is not None and handle.alive:
                with contextlib.suppress(OSError):
                    handle.conn.send(("stop",))
        for handle in self.kiosks:
            self.stop(handle)

    def poll(self, timeout: float) -> None:
        """Take in what the kiosks reported, waiting at most `timeout` for the first message."""
        by_conn = {h.conn: h for h in self.kiosks if h.conn is not None}
        if not by_conn:
            time.sleep(timeout)
            return
        for conn in wait(list(by_conn), timeout):
            handle = by_conn[conn]  # type: ignore[index]
            try:
                while handle.conn is not None and handle.conn.poll():
                    self._handle(handle, handle.conn.recv())
            except (EOFError, OSError):
                if handle.conn is not None:
                    handle.conn.close()
                handle.conn = None

    @staticmethod
    def _handle(handle: KioskHandle, message: tuple[object, ...]) -> None:
        kind = message[0]
        if kind == "ready":
            handle.ready = True
        elif kind == "link":
            handle.online = bool(message[1])
        elif kind == "pressed":
            handle.presses += int(message[1])  # type: ignore[call-overload]
            handle.busy = False
        elif kind == "synced":
            handle.synced = int(message[1])  # type: ignore[call-overload]
        elif kind == "accepted":
            handle.accepted += 1
            handle.event_ids.append(str(message[2]))
        elif kind == "ignored":
            handle.ignored += 1
        elif kind == "failed":
            handle.failed += 1
            log.error("kiosk %s could not store a press: %s", handle.kiosk_id, message[1])
