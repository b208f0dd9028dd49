"""A national day: 50,000 service points, 5 million ratings through MQTT, on this machine.

100 organisations of 500 service points, one kiosk each, a day of presses each (about 100 per kiosk,
sequence numbers in order, a tenth of the service points unhappy). Publisher processes send them with
QoS 1 through mosquitto, as fast as the machine lets them but never more than `--lead` ratings ahead of
what is stored (see `Pace`), into the collector (its own process, as deployed; PostgreSQL with fsync on,
tuned as a national server would be: `SERVER_SETTINGS`; every organisation, service point and kiosk
registered on its first rating). Measured: the time from the first publish to the last rating stored
(goal: <= 10 minutes), the collector's memory (resident, sampled every second, and its peak), and
afterwards the overview's p95 through the API: the whole nation's worst 100 and one organisation's 500.
Checked: every rating stored once, nothing refused, no open gap.

    .venv/bin/python bench/national_day.py                                     # 50,000 points, 5,000,000 ratings
    .venv/bin/python bench/national_day.py --points 2000 --ratings 100000      # a quick look
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import psycopg
from mqtt_burst import BurstPublisher
from services import CpuTally, Stack, percentile, publishers, stack

from protocol import decode
from protocol.topics import TopicKind

SERVER_SETTINGS = {
    "shared_buffers": "4GB",
    "effective_cache_size": "12GB",
    "maintenance_work_mem": "1GB",
    "wal_buffers": "64MB",
    "max_wal_size": "16GB",
    "checkpoint_timeout": "30min",
    "checkpoint_completion_target": "0.9",
}
"""PostgreSQL as docs/scaling.md advises for a national installation: a quarter of the memory as buffers (the
timescale image's own tuning does the same), and room for a busy day's WAL between checkpoints. fsync and
synchronous_commit stay on: a stored rating survives a crash."""
ORGS_OF = 500
"""Service points per organisation."""
REASONS = ("waiting-time", "staff-courtesy", "information-clarity", "must-come-back")
SERVICES = ("anagrafe", "carta-identita", "tributi", "stato-civile")


def point_ids(index: int) -> tuple[str, str, str]:
    """(organisation, service point, kiosk) of service point number `index`."""
    org = f"ente-{index // ORGS_OF + 1:03d}"
    return org, f"{org}-sp{index % ORGS_OF + 1}", f"{org}-k{index % ORGS_OF + 1}"


def payload(kiosk: str, point: str, seq: int, face: str, reason: str | None, service: str, at: str, boot: str) -> bytes:
    """A protocol v1 rating, written directly (the `Rating` model costs the publishers more than the broker);
    the first ones are checked against the model, and the collector refuses any that is wrong."""
    reason_json = f'"{reason}"' if reason else "null"
    return (
        f'{{"event_id":"{uuid.uuid4()}","kiosk_id":"{kiosk}","seq":{seq},"service_point":"{point}",'
        f'"service":"{service}","channel":"counter","face":"{face}","reason":{reason_json},'
        f'"pressed_at":"{at}","clock":{{"boot_id":"{boot}","uptime_ms":{seq * 1000},"synced":true}}}}'
    ).encode()


def publish_share(port: int, points: range, per_point: int, seed: int, pace: Pace) -> None:
    """One publisher process: its service points' day, press by press, in sequence order per kiosk."""
    rng = random.Random(seed)
    start = datetime.now(UTC) - timedelta(hours=23)
    step = timedelta(hours=22) / per_point
    boot = str(uuid.uuid4())
    kiosks = [
        (f"mlf/v1/{org}/{kiosk}/rating", kiosk, point, i % 10 == 3)
        for i in points
        for org, point, kiosk in [point_ids(i)]
    ]

    def day() -> Iterator[tuple[str, bytes]]:
        for seq in range(1, per_point + 1):
            at = (start + step * seq).isoformat()
            for topic, kiosk, point, sad in kiosks:
                draw = rng.random()
                red, yellow = (0.35, 0.20) if sad else (0.05, 0.13)
                face = "negative" if draw < red else "neutral" if draw < red + yellow else "positive"
                reason = rng.choice(REASONS) if face == "negative" and rng.random() < 0.6 else None
                body = payload(kiosk, point, seq, face, reason, SERVICES[seq % 4], at, boot)
                if seq == 1 and kiosk == kiosks[0][1]:
                    decode(TopicKind.RATING, body)  # the hand-written payload is a valid rating
                yield topic, body
                pace.sent()

    client = BurstPublisher("127.0.0.1", port, f"national-{seed}")
    client.publish(day())
    client.close()


class Pace:
    """Keeps the fleet at most `lead` ratings ahead of what the collector stored (the bench writes that count to
    `stored_file` every second). Without it the publishers, far faster than any day, would pile millions of
    ratings into mosquitto's queue for the collector, past its `max_queued_messages` (1,000,000, as deployed):
    the broker would drop the excess, where real kiosks keep what is not yet stored in their outbox."""

    def __init__(self, stored_file: Path, lead: int, publishers: int) -> None:
        self.stored_file, self.lead, self.publishers = stored_file, lead, publishers
        self.count = 0

    def sent(self) -> None:
        self.count += 1
        if self.count % 2000:
            return
        while self.count * self.publishers - self._stored() > self.lead:
            time.sleep(0.1)

    def _stored(self) -> int:
        try:
            return int(self.stored_file.read_text() or 0)
        except (OSError, ValueError):
            return 0


class Memory(threading.Thread):
    """The collector's resident memory every second."""

    def __init__(self, run: Stack) -> None:
        super().__init__(name="memory", daemon=True)
        self.run_, self.samples, self.peak = run, list[float](), 0.0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(1.0):
            rss, hwm = self.run_.collector.rss_mb()
            self.samples.append(rss)
            self.peak = max(self.peak, hwm)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--points", type=int, default=50_000, help="service points (one kiosk each)")
    parser.add_argument("--ratings", type=int, default=5_000_000)
    parser.add_argument("--publishers", type=int, default=2, help="publisher processes")
    parser.add_argument("--repeat", type=int, default=60, help="overview requests for each p95")
    parser.add_argument("--first-timeout", type=float, default=1800, help="wait this long for the first overview")
    parser.add_argument("--timeout", type=float, default=3600, help="give up after this many seconds of ingest")
    parser.add_argument("--publish-to", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--share", default="0/1", help=argparse.SUPPRESS)
    parser.add_argument("--stored-file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument(
        "--statements", type=int, default=0, help="print PostgreSQL's N costliest statements (pg_stat_statements)"
    )
    parser.add_argument(
        "--pg-defaults", action="store_true", help="PostgreSQL's default settings (128 MB of buffers, 1 GB of WAL)"
    )
    parser.add_argument(
        "--lead", type=int, default=400_000, help="the publishers stay at most this many ratings ahead of the collector"
    )
    parser.add_argument(
        "--collector",
        action="append",
        default=[],
        metavar="SETTING=VALUE",
        help="a collector setting for this run, e.g. COLLECTOR_WRITERS=3 (repeatable)",
    )
    args = parser.parse_args(argv)
    per_point = max(1, args.ratings // args.points)
    if args.publish_to:
        index, count = (int(x) for x in args.share.split("/"))
        pace = Pace(args.stored_file, args.lead, count)
        publish_share(args.publish_to, range(index, args.points, count), per_point, index + 1, pace)
        return 0
    total = per_point * args.points
    print(
        f"{args.points:,} service points in {-(-args.points // ORGS_OF)} organisations, {total:,} ratings "
        f"({per_point} per kiosk), {args.publishers} publisher processes; PostgreSQL fsync on, "
        f"{'default settings' if args.pg_defaults else 'SERVER_SETTINGS'}",
        flush=True,
    )
    # mosquitto saves as deploy/mosquitto does; PostgreSQL as a national server would run (docs/scaling.md)
    settings = {} if args.pg_defaults else dict(SERVER_SETTINGS)
    if args.statements:
        settings["shared_preload_libraries"] = "pg_stat_statements"
        settings["pg_stat_statements.track_planning"] = "on"
    collector = dict(setting.split("=", 1) for setting in args.collector)
    with stack("national", durable=True, autosave_s=10, pg_settings=settings, **collector) as run:
        return day(run, args, total)


def day(run: Stack, args: argparse.Namespace, total: int) -> int:
    memory = Memory(run)
    memory.start()
    stored_file = run.folder / "stored"
    stored_file.write_text("0")
    began = time.monotonic()
    spawned = publishers(
        __file__,
        args.publishers,
        run.broker.port,
        f"--points={args.points}",
        f"--ratings={args.ratings}",
        f"--stored-file={stored_file}",
        f"--lead={args.lead}",
    )
    cpu = CpuTally(
        {p.pid: "publishers (the kiosks)" for p in spawned}
        | {
            run.collector.pid: "collector",
            run.broker_pid: "mosquitto",
            run.postgres_pid: "PostgreSQL",
        }
    )
    cpu.start()
    published_at = None
    try:
        next_line = began + 30
        last, moved_at = -1.0, began
        while (n := run.collector.metric("mlf_ingest_ratings_stored_total")) < total:
            stored_file.with_suffix(".new").write_text(str(int(n)))
            stored_file.with_suffix(".new").replace(stored_file)
            now = time.monotonic()
            if n != last:
                last, moved_at = n, now
            if published_at is None and all(p.poll() is not None for p in spawned):
                published_at = now
            if now > next_line:
                next_line = now + 30
                rss = memory.samples[-1] if memory.samples else 0.0
                print(f"  {now - began:6.0f} s  stored {n:12,.0f}  collector RSS {rss:6.0f} MB", flush=True)
            if now - began > args.timeout or (published_at is not None and now - moved_at > 120):
                print(f"gave up after {now - began:.0f} s: {n:,.0f} of {total:,} stored")
                return 1
            time.sleep(2)  # each look costs the collector a request (Prometheus scrapes every 15 s)
        took = time.monotonic() - began
    finally:
        for p in spawned:
            if p.poll() is None:
                p.kill()
            p.wait()
        memory.stop.set()
        cpu.stop.set()
    failed = [p.returncode for p in spawned if p.returncode]
    published = (published_at or time.monotonic()) - began
    print(f"\n{total:,} ratings stored in {took:.0f} s ({total / took:,.0f}/s); published in {published:.0f} s")
    if failed:
        print(f"publisher exit codes: {failed}")
    end_rss = memory.samples[-1] if memory.samples else 0.0
    spent = cpu.totals()
    cores = os.cpu_count() or 1
    print(f"CPU over the day: {sum(spent.values()):,.0f} s of the {cores * took:,.0f} s its {cores} cores had")
    for name, seconds in spent.items():
        print(f"  {name:<24} {seconds:7.0f} s  {seconds / total * 1e6:5.0f} µs a rating")
    print(f"collector memory: peak {memory.peak:.0f} MB resident, at the end {end_rss:.0f} MB")
    if args.statements:
        statements(run, args.statements)
    checks = check(run, total)
    checks["the day in <= 10 minutes"] = took <= 600
    overview(run, args)
    for name, ok in checks.items():
        print(f"  {'PASS' if ok else 'FAIL'}  {name}")
    ok = all(checks.values())
    print("RESULT:", "PASS" if ok else "FAIL")
    return 0 if ok else 1


def statements(run: Stack, n: int) -> None:
    """Where PostgreSQL's time went: the costliest statements (executing and planning them), with their share
    of the total."""
    with psycopg.connect(run.database_url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        rows = conn.execute(
            "SELECT total_exec_time + total_plan_time, sum(total_exec_time + total_plan_time) OVER (),"
            " total_plan_time, calls, rows, query FROM pg_stat_statements"
            " ORDER BY total_exec_time + total_plan_time DESC LIMIT %s",
            (n,),
        ).fetchall()
    print("PostgreSQL's costliest statements (pg_stat_statements):")
    for total_ms, all_ms, plan_ms, calls, nrows, query in rows:
        text = " ".join(str(query).split())[:100]
        print(
            f"  {total_ms / 1000:7.1f} s {100 * total_ms / all_ms:5.1f}% (planning {plan_ms / 1000:5.1f} s)"
            f"  {calls:8,} calls {nrows:11,} rows  {text}"
        )


def check(run: Stack, total: int) -> dict[str, bool]:
    with psycopg.connect(run.database_url) as conn:
        count, distinct = conn.execute("SELECT count(*), count(DISTINCT event_id) FROM ratings").fetchone() or (0, 0)
        refused = conn.execute("SELECT count(*) FROM quarantine").fetchone()
        gaps = conn.execute("SELECT count(*) FROM sequence_gaps WHERE closed_at IS NULL").fetchone()
        points = conn.execute("SELECT count(*) FROM service_points").fetchone()
    print(f"database: {count:,} ratings ({distinct:,} distinct), {points[0] if points else 0:,} service points")
    return {
        "every rating stored once": count == distinct == total,
        "nothing refused": refused == (0,),
        "no open gap": gaps == (0,),
    }


def overview(run: Stack, args: argparse.Namespace) -> None:
    """The overview's p95, after one first request as the day left the database (the planner's statistics
    as autovacuum had them then), and after ANALYZE (as autovacuum does within minutes of a large load)."""
    token = run.collector.api_key("reader")
    pages = (
        ("the nation, worst 100", "/v1/overview"),
        (f"one organisation, all {ORGS_OF}", f"/v1/overview?{urlencode({'org': 'ente-001', 'limit': ORGS_OF})}"),
    )
    for label, path in pages:
        t = time.perf_counter()
        try:
            run.collector.get(path, token, timeout=args.first_timeout)
            print(f"first GET {path} right after the day ({label}): {time.perf_counter() - t:.2f} s")
        except OSError as exc:
            print(f"first GET {path} right after the day ({label}): none in {args.first_timeout:.0f} s ({exc})")
    with psycopg.connect(run.database_url, autocommit=True) as conn:
        t = time.perf_counter()
        conn.execute("ANALYZE")
        print(f"ANALYZE (the planner's statistics, as autovacuum refreshes them): {time.perf_counter() - t:.1f} s")
    for label, path in pages:
        run.collector.get(path, token, timeout=120)  # warm
        samples = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            run.collector.get(path, token, timeout=120)
            samples.append((time.perf_counter() - t) * 1000)
        print(
            f"GET {path:<45} {label:<30} p50 {percentile(samples, 50):7.1f} ms  "
            f"p95 {percentile(samples, 95):7.1f} ms  (n={len(samples)})"
        )


if __name__ == "__main__":
    sys.exit(main())
