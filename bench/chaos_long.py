"""The long chaos run: simulated kiosks press for minutes while the whole system is broken again and again.

At least 50 kiosks of the project's own code (firmware_sim: the real kiosk core, outbox and MQTT link on
mock pins, one process each) take citizens for at least 10 minutes behind relays that can cut groups of
them off the broker; meanwhile at least 30 faults strike, evenly spread, every kind at least once:

    collector-sigkill     SIGKILL the collector, start it again (as systemd's Restart=always would)
    broker-restart        stop mosquitto cleanly and start it
    broker-sigkill        SIGKILL mosquitto (its state only as of the last autosave), start it
    postgres-fast         stop PostgreSQL (fast: checkpoint, clients cut off), start it
    postgres-immediate    stop PostgreSQL immediately (a crash: recovery from the WAL), start it
    kiosks-cut            cut a group of kiosks off the broker for minutes (--cut-for)
    kiosks-sigkill        SIGKILL a few kiosks, start them again
    power-cut-mid-write   SIGKILL a kiosk milliseconds after a press, while it writes it

Then everything is restored and the kiosks deliver what they hold. The verdict compares the database with
the kiosks' own outboxes: every rating a kiosk accepted (sequence numbers 1..last) is stored exactly once,
no duplicates, no open gaps, the watermarks and rollups agree. Exit status 0 only if all of that holds.

    .venv/bin/python bench/chaos_long.py                                   # the full run (about 15 minutes)
    .venv/bin/python bench/chaos_long.py --kiosks 12 --duration 150 --faults 10 --cut-for 30   # a quick look
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from services import Stack, stack

from firmware_sim.citizens import demo_fleet, next_citizen
from firmware_sim.cli import kiosk_settings
from firmware_sim.fleet import Fleet, KioskHandle
from firmware_sim.network import FlakyNetwork
from firmware_sim.worker import WorkerSpec

ORG = "chaos"
INFRASTRUCTURE = ("collector-sigkill", "broker-restart", "broker-sigkill", "postgres-fast", "postgres-immediate")
KIOSK_FAULTS = ("kiosks-cut", "kiosks-sigkill", "power-cut-mid-write")
KINDS = INFRASTRUCTURE + KIOSK_FAULTS


@dataclass
class Fault:
    at_s: float
    kind: str
    detail: str = ""
    took_s: float = 0.0


@dataclass
class Chaos:
    """What was done, for the report (appended to from the main loop and the infrastructure thread)."""

    start: float = field(default_factory=time.monotonic)
    faults: list[Fault] = field(default_factory=list)
    observations: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, fault: Fault) -> None:
        with self.lock:
            self.faults.append(fault)
        print(f"  {fault.at_s:7.1f} s  {fault.kind:<20} {fault.detail} ({fault.took_s:.1f} s)", flush=True)

    def note(self, text: str) -> None:
        with self.lock:
            self.observations.append(f"{time.monotonic() - self.start:7.1f} s  {text}")
        print(f"  note: {text}", flush=True)


def schedule(count: int, duration: float, rng: random.Random) -> list[tuple[float, str]]:
    """`count` faults evenly spread over `duration`, every kind at least once (when count allows)."""
    kinds: list[str] = []
    while len(kinds) < count:
        cycle = list(KINDS)
        rng.shuffle(cycle)
        kinds += cycle
    return [((i + 0.5) * duration / count, kind) for i, kind in enumerate(kinds[:count])]


def infrastructure_fault(kind: str, run: Stack, rng: random.Random) -> str:
    """Break one service and bring it back; what happened, in words."""
    if kind == "collector-sigkill":
        run.collector.kill()
        time.sleep(rng.uniform(1, 4))
        run.collector.start_until_serving()
        return f"restarted (start #{run.collector.starts})"
    if kind == "broker-restart":
        run.broker.stop()
        run.broker.start()
        return "stopped and started"
    if kind == "broker-sigkill":
        run.broker.kill()
        time.sleep(rng.uniform(1, 4))
        run.broker.start()
        return "killed, started again"
    mode = kind.removeprefix("postgres-")
    run.postgres.stop(mode)
    time.sleep(rng.uniform(2, 6))
    run.postgres.start()
    return f"stopped ({mode}), started again"


class Monkey(threading.Thread):
    """Carries out the infrastructure faults on schedule, so that citizens keep pressing meanwhile."""

    def __init__(self, run: Stack, chaos: Chaos, plan: list[tuple[float, str]], seed: int) -> None:
        super().__init__(name="chaos-monkey", daemon=True)
        self.run_, self.chaos, self.plan, self.rng = run, chaos, plan, random.Random(seed)
        self.done = threading.Event()
        self.collector_lock = threading.Lock()
        """Held while a fault or the supervisor works on the collector."""

    def run(self) -> None:
        for at, kind in self.plan:
            while time.monotonic() - self.chaos.start < at:
                if self.done.wait(0.2):
                    return
            began = time.monotonic()
            try:
                with self.collector_lock:
                    detail = infrastructure_fault(kind, self.run_, self.rng)
            except Exception as exc:  # a fault that could not be undone is the run's finding, not a crash
                detail = f"FAILED to restore: {exc}"
                self.chaos.note(f"{kind}: {exc}")
            self.chaos.record(Fault(began - self.chaos.start, kind, detail, time.monotonic() - began))
        self.done.set()


def supervise(run: Stack, chaos: Chaos, monkey: Monkey) -> None:
    """Between faults the collector must be up: one that exited by itself is noted and started again."""
    if not monkey.collector_lock.acquire(blocking=False):
        return  # the monkey is killing or restarting it right now
    try:
        if not run.collector.alive:
            code = run.collector.process.returncode if run.collector.process else None
            chaos.note(f"the collector exited by itself (status {code}); starting it again")
            run.collector.start_until_serving()
    finally:
        monkey.collector_lock.release()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kiosks", type=int, default=50)
    parser.add_argument("--duration", type=float, default=600, help="seconds of pressing and faults")
    parser.add_argument("--faults", type=int, default=32)
    parser.add_argument("--groups", type=int, default=5, help="kiosk groups, each behind a relay that can be cut")
    parser.add_argument("--cut-for", type=float, default=150, help="seconds a group stays cut off")
    parser.add_argument("--interval", type=float, default=4.0, help="mean seconds between citizens at a kiosk")
    parser.add_argument("--drain-timeout", type=float, default=600)
    parser.add_argument("--seed", type=int, default=17)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    plan = schedule(args.faults, args.duration, rng)
    print(
        f"chaos: {args.kiosks} kiosks in {args.groups} groups, {args.duration:.0f} s, {args.faults} faults "
        f"({', '.join(f'{n} {k}' for k, n in sorted(Counter(k for _, k in plan).items()))})",
        flush=True,
    )
    with stack("chaos", durable=True, autosave_s=10) as run:
        return drive(run, args, plan, rng)


def drive(run: Stack, args: argparse.Namespace, plan: list[tuple[float, str]], rng: random.Random) -> int:
    relays = [FlakyNetwork("127.0.0.1", run.broker.port) for _ in range(args.groups)]
    ports = [relay.start() for relay in relays]
    points = demo_fleet(args.kiosks, org=ORG, seed=args.seed)
    options = argparse.Namespace(host="127.0.0.1", cooldown=2.0, resend_after=10.0, heartbeat=20.0, window=5000)
    specs = [
        WorkerSpec(
            settings=kiosk_settings(options, p, run.folder / "kiosks", ports[i % args.groups]),
            log_file=str(run.folder / "kiosks" / f"{p.kiosk_id}.log"),
        )
        for i, p in enumerate(points)
    ]
    (run.folder / "kiosks").mkdir()
    fleet = Fleet(specs)
    chaos = Chaos()
    try:
        fleet.start_all(timeout=180)
        chaos.start = time.monotonic()
        monkey = Monkey(run, chaos, [p for p in plan if p[1] in INFRASTRUCTURE], args.seed)
        monkey.start()
        press(fleet, points, relays, run, chaos, monkey, [p for p in plan if p[1] in KIOSK_FAULTS], args, rng)
        monkey.done.set()
        monkey.join()
        restore(fleet, relays, run, chaos)
        delivered = deliver(fleet, args.drain_timeout)
        return verdict(fleet, run, chaos, delivered, args)
    finally:
        fleet.stop_all()
        for relay in relays:
            relay.stop()


def press(
    fleet: Fleet,
    points: list[Any],
    relays: list[FlakyNetwork],
    run: Stack,
    chaos: Chaos,
    monkey: Monkey,
    kiosk_plan: list[tuple[float, str]],
    args: argparse.Namespace,
    rng: random.Random,
) -> None:
    """Citizens at every kiosk, and the kiosk faults when due, until the duration is over."""
    arrivals = [chaos.start + rng.expovariate(1 / args.interval) for _ in fleet.kiosks]
    restarts: list[tuple[float, KioskHandle]] = []
    uncut: list[tuple[float, int]] = []
    pending = list(kiosk_plan)
    next_report = chaos.start + 30
    while (now := time.monotonic()) - chaos.start < args.duration:
        if pending and now - chaos.start >= pending[0][0]:
            _, kind = pending.pop(0)
            detail = kiosk_fault(kind, fleet, relays, restarts, uncut, args, rng)
            chaos.record(Fault(now - chaos.start, kind, detail))
        for due, handle in [r for r in restarts if r[0] <= now]:
            restarts.remove((due, handle))
            fleet.start(handle)
        for due, group in [u for u in uncut if u[0] <= now]:
            uncut.remove((due, group))
            relays[group].restore()
        for i, handle in enumerate(fleet.kiosks):
            if arrivals[i] <= now and not handle.busy:
                arrivals[i] = max(arrivals[i], now - args.interval) + rng.expovariate(1 / args.interval)
                citizen = next_citizen(points[i], rng, 0.02)
                fleet.citizen(handle, citizen.face.value, citizen.reason, citizen.mash)
        fleet.poll(0.05)
        if now >= next_report:
            next_report = now + 30
            supervise(run, chaos, monkey)
            accepted = sum(h.accepted for h in fleet.kiosks)
            online = sum(h.online for h in fleet.kiosks)
            print(f"  {now - chaos.start:7.1f} s  accepted {accepted}, online {online}/{len(fleet.kiosks)}", flush=True)
    for _, handle in restarts:
        fleet.start(handle)


def kiosk_fault(
    kind: str,
    fleet: Fleet,
    relays: list[FlakyNetwork],
    restarts: list[tuple[float, KioskHandle]],
    uncut: list[tuple[float, int]],
    args: argparse.Namespace,
    rng: random.Random,
) -> str:
    now = time.monotonic()
    if kind == "kiosks-cut":
        group = rng.randrange(len(relays))
        relays[group].cut()
        uncut.append((now + args.cut_for, group))
        return f"group {group} ({len(fleet.kiosks[group :: len(relays)])} kiosks) cut for {args.cut_for:.0f} s"
    running = [h for h in fleet.kiosks if h.alive and h.ready]
    if not running:
        return "no kiosk running"
    if kind == "kiosks-sigkill":
        victims = rng.sample(running, min(3, len(running)))
        for handle in victims:
            fleet.kill(handle)
            restarts.append((now + rng.uniform(3, 15), handle))
        return "SIGKILL " + ", ".join(h.kiosk_id for h in victims)
    handle = rng.choice([h for h in running if not h.busy] or running)
    before = handle.accepted
    fleet.citizen(handle, "negative", None, 0, queue=True)
    delay = rng.uniform(0.0, 0.02)
    time.sleep(delay)
    fleet.poll(0)
    fleet.kill(handle)
    restarts.append((now + rng.uniform(3, 10), handle))
    confirmed = "confirmed before the cut" if handle.accepted > before else "not confirmed before the cut"
    return f"{handle.kiosk_id} killed {delay * 1000:.0f} ms after a press ({confirmed})"


def restore(fleet: Fleet, relays: list[FlakyNetwork], run: Stack, chaos: Chaos) -> None:
    """Everything back: relays, broker, database, collector, every kiosk."""
    for relay in relays:
        relay.restore()
    if run.broker.process is None or run.broker.process.poll() is not None:
        chaos.note("mosquitto was down at the end; starting it")
        run.broker.start()
    if not (run.postgres.datadir / "postmaster.pid").exists():
        chaos.note("PostgreSQL was down at the end; starting it")
        run.postgres.start()
    if not run.collector.alive:
        chaos.note("the collector was down at the end; starting it")
    run.collector.start_until_serving()
    fleet.start_all(timeout=180)


def deliver(fleet: Fleet, timeout: float) -> bool:
    fleet.sync_all(60)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stats = [h.stats() for h in fleet.kiosks]
        if all(s is not None and s.depth == 0 for s in stats):
            return True
        fleet.poll(0.5)
    return False


def verdict(fleet: Fleet, run: Stack, chaos: Chaos, delivered: bool, args: argparse.Namespace) -> int:
    outboxes = {h.kiosk_id: h.stats() for h in fleet.kiosks}
    accepted = {k: (s.last_seq if s else 0) for k, s in outboxes.items()}
    with psycopg.connect(run.database_url) as conn:
        per_kiosk = {
            str(k): (int(n), int(seqs), int(lo or 0), int(hi or 0))
            for k, n, seqs, lo, hi in conn.execute(
                "SELECT kiosk_id, count(*), count(DISTINCT seq), min(seq), max(seq) FROM ratings"
                " WHERE org_id = %s GROUP BY kiosk_id",
                (ORG,),
            )
        }
        total, distinct = conn.execute(
            "SELECT count(*), count(DISTINCT event_id) FROM ratings WHERE org_id = %s", (ORG,)
        ).fetchone() or (0, 0)
        stored_ids = {str(e) for (e,) in conn.execute("SELECT event_id::text FROM ratings WHERE org_id = %s", (ORG,))}
        open_gaps = conn.execute("SELECT count(*) FROM sequence_gaps WHERE closed_at IS NULL").fetchone()
        rollup = conn.execute(
            "SELECT coalesce(sum(positive + neutral + negative + misuse), 0) FROM rollup_daily"
        ).fetchone()
        # One outbox (instance) per kiosk here: its watermark is the kiosk's.
        acked = conn.execute("SELECT kiosk_id, max(acked_seq) FROM kiosk_instances GROUP BY 1")
        watermarks = {str(k): int(s or 0) for k, s in acked}
        refused = conn.execute("SELECT reason, count(*) FROM quarantine GROUP BY reason ORDER BY 2 DESC").fetchall()
    seen_ids = {e for h in fleet.kiosks for e in h.event_ids}
    checks = {
        "every kiosk delivered what it holds (outboxes empty)": delivered,
        "stored == accepted by the kiosks, per kiosk, sequence numbers 1..last each once": all(
            per_kiosk.get(k, (0, 0, 0, 0)) == ((n, n, 1, n) if n else (0, 0, 0, 0)) for k, n in accepted.items()
        ),
        "stored == accepted, in total": total == sum(accepted.values()),
        "0 duplicates (event ids)": total == distinct,
        "every press a kiosk confirmed is stored": seen_ids <= stored_ids,
        "0 open gaps": open_gaps == (0,),
        "watermarks == last sequence numbers": all(watermarks.get(k, 0) == n for k, n in accepted.items()),
        "rollups == raw ratings": rollup == (total,),
    }
    kinds = Counter(f.kind for f in chaos.faults)
    # The collector is started once, then again after each SIGKILL of ours: any other start means it
    # exited by itself (the supervisor noted it and started it again).
    checks["the collector never exited by itself"] = run.collector.starts == 1 + kinds["collector-sigkill"]
    print("\n=== chaos report ===")
    print(f"kiosks {args.kiosks}, pressing {args.duration:.0f} s, seed {args.seed}")
    print(f"faults injected: {len(chaos.faults)}  " + ", ".join(f"{k} {kinds[k]}" for k in KINDS))
    print(f"collector starts: {run.collector.starts}")
    print(
        f"presses made {sum(h.presses for h in fleet.kiosks)}, ignored by the cooldown "
        f"{sum(h.ignored for h in fleet.kiosks)}, kiosk SIGKILLs {sum(h.kills for h in fleet.kiosks)}"
    )
    print(f"accepted by the kiosks {sum(accepted.values())}, stored {total}, distinct event ids {distinct}")
    print(f"refused messages (quarantine): {refused or 'none'}")
    for line in chaos.observations:
        print(f"observed: {line}")
    if tracebacks := run.collector.tracebacks():
        print(f"observed: {tracebacks} error(s) the collector handled but logged with a traceback, first:")
        print("    " + first_traceback(run.collector.log))
    for name, ok in checks.items():
        print(f"  {'PASS' if ok else 'FAIL'}  {name}")
    bad = [k for k, n in accepted.items() if per_kiosk.get(k, (0, 0, 0, 0)) != ((n, n, 1, n) if n else (0, 0, 0, 0))]
    for k in itertools.islice(bad, 10):
        print(f"    {k}: accepted {accepted[k]}, stored (count, distinct seq, min, max) {per_kiosk.get(k)}")
    enough = len(chaos.faults) >= 30 and args.kiosks >= 50 and args.duration >= 600 and set(kinds) == set(KINDS)
    print(f"full-length run (>= 50 kiosks, >= 600 s, >= 30 faults of every kind): {'yes' if enough else 'no'}")
    ok = all(checks.values())
    print("RESULT:", "PASS" if ok else "FAIL")
    if not ok:
        print(f"logs kept in {keep(run.folder)}")
    return 0 if ok else 1


def first_traceback(log: Path) -> str:
    """The log line before the first traceback and the exception that ends it."""
    lines = log.read_text(errors="replace").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Traceback"))
    end = next((i for i in range(start + 1, len(lines)) if not lines[i].startswith((" ", "\t"))), start)
    return f"{lines[start - 1] if start else ''} ... {lines[end]}"


def keep(folder: Path) -> Path:
    """Copy the logs out of the scratch folder (removed at exit) for a failed run."""
    import shutil
    import tempfile

    target = Path(tempfile.mkdtemp(prefix="mlf-chaos-logs-"))
    for pattern in ("*.log", "kiosks/*.log", "mqtt/*.log", "pg/*.log"):
        for log in folder.glob(pattern):
            shutil.copy(log, target / log.name)
    return target


if __name__ == "__main__":
    sys.exit(main())
