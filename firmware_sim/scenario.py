"""What the simulated fleet does over time: citizens arrive, faults strike, then we wait for delivery.

Live: citizens come to each kiosk as a Poisson process (optionally only within the
service point's opening hours), judge by the point's mood, sometimes hammer a
button; meanwhile the network between kiosks and broker is cut now and then, and
kiosks are SIGKILLed and restarted. Backfill: each kiosk sends months of history from
its outbox. Both end by waiting until the collector's watermark covers every rating.
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from tqdm import tqdm

from firmware_sim.citizens import ServicePointProfile, is_open, next_citizen
from firmware_sim.fleet import Fleet, KioskHandle
from firmware_sim.network import FlakyNetwork

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Faults:
    outage_every_s: float | None = None
    """Cut the network between kiosks and broker this often (needs a `FlakyNetwork`)."""
    outage_for_s: float = 20.0
    kill_every_s: float | None = None
    """SIGKILL a random running kiosk this often ..."""
    restart_after_s: float = 3.0
    """... and start it again this much later."""


@dataclass(frozen=True)
class LivePlan:
    duration_s: float | None = 60.0
    citizens: int | None = None
    """Stop after this many citizens (whichever comes first with the duration)."""
    interval_s: float = 10.0
    """Mean seconds between citizens at each kiosk."""
    office_hours: bool = False
    timezone: str = "Europe/Rome"
    mash_share: float = 0.03
    drain_timeout_s: float = 60.0
    faults: Faults = field(default_factory=Faults)


class _Progress:
    """A progress bar on stderr with the fleet's state beside it."""

    def __init__(self, fleet: Fleet, total: float | None, unit: str, enabled: bool, desc: str) -> None:
        self.fleet = fleet
        # disable=None: only on a terminal, so logs and CI output stay readable.
        self.bar = tqdm(total=total, unit=unit, disable=None if enabled else True, desc=desc, dynamic_ncols=True)
        self._next = 0.0

    def update(self, done: float, note: str = "", force: bool = False) -> None:
        now = time.monotonic()
        if not force and now < self._next:
            return
        self._next = now + 0.5
        stats = [h.stats() for h in self.fleet.kiosks]
        pending = sum(s.depth for s in stats if s)
        acked = sum(s.watermark for s in stats if s)
        online = sum(h.online for h in self.fleet.kiosks)
        accepted = sum(h.accepted for h in self.fleet.kiosks)
        self.bar.n = min(done, self.bar.total) if self.bar.total else done
        self.bar.set_postfix_str(
            f"online {online}/{len(self.fleet.kiosks)} accepted {accepted} acked {acked} pending {pending}{note}",
            refresh=True,
        )

    def close(self) -> None:
        self.bar.close()


def run_live(
    fleet: Fleet,
    points: Sequence[ServicePointProfile],
    plan: LivePlan,
    rng: random.Random,
    network: FlakyNetwork | None = None,
    progress: bool = True,
) -> bool:
    """Run citizens and faults, then deliver; True when nothing is left pending."""
    zone = ZoneInfo(plan.timezone)
    faults = plan.faults
    fleet.start_all()
    total = plan.citizens if plan.citizens is not None else plan.duration_s
    bar = _Progress(fleet, total, "citizen" if plan.citizens is not None else "s", progress, "pressing")
    start = time.monotonic()
    arrivals = [start + rng.expovariate(1 / plan.interval_s) for _ in fleet.kiosks]
    next_outage = start + faults.outage_every_s if network and faults.outage_every_s else math.inf
    outage_ends = math.inf
    next_kill = start + faults.kill_every_s if faults.kill_every_s else math.inf
    restarts: list[tuple[float, KioskHandle]] = []
    sent = 0
    try:
        while True:
            now = time.monotonic()
            if (plan.duration_s is not None and now - start >= plan.duration_s) or (
                plan.citizens is not None and sent >= plan.citizens
            ):
                break
            if network and now >= next_outage:
                log.info("network outage for %.0f s", faults.outage_for_s)
                network.cut()
                outage_ends = now + faults.outage_for_s
                next_outage = outage_ends + (faults.outage_every_s or math.inf)
            if network and now >= outage_ends:
                network.restore()
                outage_ends = math.inf
            if now >= next_kill:
                next_kill = now + (faults.kill_every_s or math.inf)
                if running := [h for h in fleet.kiosks if h.alive]:
                    victim = rng.choice(running)
                    log.info("SIGKILL %s", victim.kiosk_id)
                    fleet.kill(victim)
                    restarts.append((now + faults.restart_after_s, victim))
            for due, handle in [r for r in restarts if r[0] <= now]:
                restarts.remove((due, handle))
                fleet.start(handle)
            for i, handle in enumerate(fleet.kiosks):
                if arrivals[i] > now or handle.busy or (plan.citizens is not None and sent >= plan.citizens):
                    continue  # nobody there yet, or waiting behind the citizen at the kiosk
                arrivals[i] = max(arrivals[i], now - plan.interval_s) + rng.expovariate(1 / plan.interval_s)
                if plan.office_hours and not is_open(points[i], datetime.now(UTC), zone):
                    continue
                citizen = next_citizen(points[i], rng, plan.mash_share)
                if fleet.citizen(handle, citizen.face.value, citizen.reason, citizen.mash):
                    sent += 1
            fleet.poll(max(0.0, min(0.05, min(arrivals) - time.monotonic())))
            note = " (network down)" if network is not None and network.down else ""
            bar.update(sent if plan.citizens is not None else time.monotonic() - start, note)
        if network:
            network.restore()
        for _, handle in restarts:
            fleet.start(handle)
        return _deliver(fleet, plan.drain_timeout_s, bar)
    finally:
        bar.close()
        fleet.stop_all()


def _deliver(fleet: Fleet, timeout: float, bar: _Progress) -> bool:
    """Let every kiosk finish its citizens, then wait until nothing is pending (or `timeout` passes)."""
    fleet.start_all()
    fleet.sync_all(timeout)
    deadline = time.monotonic() + timeout
    while True:
        stats = [h.stats() for h in fleet.kiosks]
        if all(s is not None and s.delivered for s in stats):
            bar.update(bar.bar.total or 0, " delivered", force=True)
            return True
        if time.monotonic() > deadline:
            bar.update(bar.bar.n, " NOT all delivered", force=True)
            return False
        bar.update(bar.bar.n, " delivering")
        fleet.poll(0.2)


def run_backfill(fleet: Fleet, timeout: float, progress: bool = True) -> bool:
    """Every kiosk fills its outbox with its history and sends it; True when all is acknowledged."""
    fleet.start_all(timeout=max(600.0, timeout))
    total = sum(
        (s.last_seq if (s := h.stats()) else 0) - (h.start_stats.last_seq if h.start_stats else 0) for h in fleet.kiosks
    )
    bar = _Progress(fleet, total, "rating", progress, "backfill")
    try:
        deadline = time.monotonic() + timeout
        while True:
            stats = [h.stats() for h in fleet.kiosks]
            left = sum(s.depth for s in stats if s)
            bar.update(total - left)
            if all(s is not None and s.delivered for s in stats):
                bar.update(total, " delivered", force=True)
                return True
            if time.monotonic() > deadline:
                bar.update(total - left, " NOT all delivered", force=True)
                return False
            fleet.poll(0.2)
    finally:
        bar.close()
        fleet.stop_all()
