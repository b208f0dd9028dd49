"""The simulator's kiosk process: one simulated button kiosk, driven by commands from the fleet.

It is a real process (the fleet can SIGKILL it), runs the real kiosk code on mock
pins, and reports what the kiosk did back through its pipe:
`("ready", pid)`, `("link", online)`, `("accepted", seq, event_id)`, `("ignored", face)`,
`("failed", error)`.
`("pressed", n)` after each citizen, `("synced", token)` once every earlier command is done.
Commands: `("citizen", face, reason_index, mash)`, `("sync", token)`, `("stop",)`. With a backfill plan it first
puts that history into its outbox, so the past goes out through the same protocol.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import signal
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from firmware_sim.backfill import BackfillPlan, history
from firmware_sim.mock_kiosk import SimulatedButtonKiosk, rtc_less_clock
from kiosk.buttons.settings import ButtonKioskSettings
from kiosk.core.face_api import KioskEvent, LinkChanged, PressAccepted, PressFailed, PressIgnored
from protocol import Face, Rating

BACKFILL_CHUNK = 10_000


@dataclass(frozen=True)
class WorkerSpec:
    settings: dict[str, Any]
    """Keyword arguments of `ButtonKioskSettings` (plain data: it crosses a process boundary)."""
    boot_in_1970: bool = False
    sync_after_s: float | None = None
    sync_since: float | None = None
    """`time.time()` the NTP delay counts from (the fleet's start), so a kiosk restarted later syncs at boot."""
    log_file: str | None = None
    log_level: str = "INFO"
    backfill: BackfillPlan | None = None


def serve(spec: WorkerSpec, conn: Connection) -> None:
    """The child's main: run the kiosk until told to stop or the fleet goes away."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the fleet, which stops us through `conn`
    if spec.log_file:
        logging.basicConfig(
            filename=spec.log_file, level=spec.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    settings = ButtonKioskSettings(**spec.settings)
    clock = rtc_less_clock(spec.sync_after_s, since=spec.sync_since) if spec.boot_in_1970 else None
    sim = SimulatedButtonKiosk(settings, clock)
    send_lock = threading.Lock()

    def send(*message: object) -> None:
        with send_lock, contextlib.suppress(OSError):  # the fleet is gone; the kiosk keeps its outbox
            conn.send(message)

    def forward(event: KioskEvent) -> None:
        if isinstance(event, LinkChanged):
            send("link", event.online)
        elif isinstance(event, PressAccepted):
            send("accepted", event.rating.seq, str(event.rating.event_id))
        elif isinstance(event, PressIgnored):
            send("ignored", event.face.value)
        elif isinstance(event, PressFailed):
            send("failed", event.error)

    sim.kiosk.add_listener(forward)
    if spec.backfill is not None:
        plan = spec.backfill
        ratings = history([plan.point], plan.start, plan.end, timezone=plan.timezone, seed=plan.seed)
        for chunk in _chunks(ratings):
            sim.kiosk.outbox.append_many(chunk)
    sim.start()
    send("ready", os.getpid())
    try:
        while True:
            try:
                command = conn.recv()
            except (EOFError, OSError):
                break
            if command[0] == "stop":
                break
            if command[0] == "citizen":
                _, face, reason, mash = command
                send("pressed", sim.citizen(Face(face), reason, mash))
            elif command[0] == "sync":
                send("synced", command[1])
    finally:
        sim.stop()
        send("stopped")


def _chunks(ratings: Iterable[Rating]) -> Iterator[list[Rating]]:
    iterator = iter(ratings)
    while chunk := list(itertools.islice(iterator, BACKFILL_CHUNK)):
        yield chunk
