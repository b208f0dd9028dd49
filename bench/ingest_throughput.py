"""Sustained ingest: the collector (QoS 1, ack after commit) vs a subscriber that stores nothing, same run.

Each contender drains the same backlog of N ratings from the same mosquitto: its persistent
session is created first, it disconnects, the ratings are published (the broker queues them),
then it reconnects and we time from its first to its last message (the collector: from the
receive time it stored with the first rating to its last commit, on the machine's clock). The do-nothing
subscriber uses the collector's MQTT settings (MQTT v5, persistent session, QoS 1, manual
PUBACK at once, receive maximum) and counts; the collector stores, updates rollups, gaps and
watermarks, commits, then acks. Also: two collectors on a shared subscription vs one. Each
collector contender runs with the MQTT fast path on and with it off (paho's own client), side
by side in the same round (`--paths`).

Every contender's broker session is ended when it is done, so the broker never queues the
next contender's messages for an absent one. `--rounds` repeats them side by side and
reports the median of each round's ratios (single runs move by 5-10% on two shared cores).

    .venv/bin/python bench/ingest_throughput.py --messages 100000
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import psycopg
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from services import metric_value

from collector.config import CollectorSettings
from collector.ingest.mqtt_link import receive_maximum
from devstack.mosquitto import LocalMosquitto
from devstack.postgres import LocalPostgres
from devstack.processes import free_port, give_to
from protocol import Face, KioskClock, Rating, TopicKind, build_topic, encode, subscription

ORG = "bench"
DEFAULTS = CollectorSettings.model_fields


def backlog(messages: int, kiosks: int, kiosk_stem: str = f"{ORG}-k") -> list[tuple[str, bytes]]:
    """`messages` valid ratings from `kiosks` kiosks (`<kiosk_stem><n>`), presses 20 s apart per kiosk over the
    last days."""
    per_kiosk = -(-messages // kiosks)
    start = datetime.now(UTC) - timedelta(seconds=20 * per_kiosk + 3600)
    boot = KioskClock(boot_id=uuid.uuid4(), uptime_ms=1000, synced=True)
    faces = list(Face)
    out: list[tuple[str, bytes]] = []

    for i in range(per_kiosk):
        for k in range(kiosks):
            if len(out) == messages:
                return out
            r = Rating(
                event_id=uuid.uuid4(),
                kiosk_id=f"{kiosk_stem}{k}",
                seq=i + 1,
                service_point=f"{ORG}-sp{k}",
                face=faces[(i * 7 + k) % 3],
                pressed_at=start + timedelta(seconds=20 * i, milliseconds=k),
                clock=boot,
            )
            out.append((build_topic(ORG, r.kiosk_id, TopicKind.RATING), encode(r)))
    return out


def publish(port: int, messages: list[tuple[str, bytes]], client_id: str) -> None:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    client.username_pw_set(client_id)  # the broker binds client ids to user names
    client.max_inflight_messages_set(1000)
    client.connect("127.0.0.1", port)
    client.loop_start()
    for start in range(0, len(messages), 2000):  # in slices: paho's own queue is not made for 100k
        infos = [client.publish(topic, payload, qos=1) for topic, payload in messages[start : start + 2000]]
        for info in infos:
            info.wait_for_publish(120)
    client.disconnect()
    client.loop_stop()


class DoNothing:
    """Subscribes like the collector, acks each message at once, stores nothing."""

    def __init__(self, port: int, client_id: str, receive_max: int) -> None:
        self.port, self.client_id, self.count, self.first, self.last = port, client_id, 0, 0.0, 0.0
        self.receive_max = receive_max
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5, manual_ack=True
        )
        self.client.username_pw_set(client_id)
        self.client.on_connect = lambda c, *_: c.subscribe(subscription(TopicKind.RATING), qos=1)
        self.client.on_message = self._on_message

    def _on_message(self, client: mqtt.Client, _u: Any, message: mqtt.MQTTMessage) -> None:
        now = time.perf_counter()
        if not self.count:
            self.first = now
        self.count += 1
        self.last = now
        client.ack(message.mid, message.qos)

    def connect(self) -> None:
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = 3600
        props.ReceiveMaximum = self.receive_max
        self.client.connect("127.0.0.1", self.port, clean_start=False, properties=props)
        self.client.loop_start()

    def disconnect(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@dataclass
class Collector:
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None
    token: str | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.env['COLLECTOR_HTTP_PORT']}"

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "collector.main"], env=self.env, stdout=log, stderr=subprocess.STDOUT
            )

    def wait_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url + "/healthz", timeout=2).close()  # noqa: S310 - loopback
                return
            except OSError:
                time.sleep(0.05)
        raise TimeoutError(f"collector did not start, see {self.log}")

    def create_token(self) -> None:
        """/metrics needs a reader key: made once the collector has migrated the database, before any timing
        (the CLI takes seconds on a busy machine)."""
        admin = [sys.executable, "-m", "collector.main", "admin", "key", "create", "--name", "bench", "--role"]
        created = subprocess.run([*admin, "reader"], env=self.env, capture_output=True, text=True, check=True)
        self.token = created.stdout.split()[-1]

    def stored(self) -> float:
        return self.sample("mlf_ingest_ratings_stored_total")

    def sample(self, name: str) -> float:
        """A sample of the collector's /metrics (0 while it does not answer)."""
        request = urllib.request.Request(self.url + "/metrics", headers={"Authorization": f"Bearer {self.token}"})  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=2) as response:  # noqa: S310 - loopback
                text = response.read().decode()
        except OSError:
            return 0.0
        return metric_value(text, name)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(2)
            self.process.wait(30)


def wait_until(stored: Callable[[], float], total: int, timeout: float = 600) -> None:
    """Poll until `total` are stored (the rates are measured from the messages' own times)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if stored() >= total:
            return
        time.sleep(0.1)  # a scrape of /metrics costs the collector CPU: not too often
    raise TimeoutError(f"only {stored()} of {total} stored in {timeout} s")


def _cpu_seconds() -> dict[int, tuple[int, float]]:
    """pid -> (parent pid, user + system CPU seconds) of every process, from /proc (Linux)."""
    out = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue
            out[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    return out


class CpuMeter:
    """CPU seconds of each part of one contender's run, from its start to `report()`: the collector
    processes, PostgreSQL (its server processes), mosquitto, this process (where the do-nothing
    subscriber runs) and the publishing fleet (counted as each publisher exits)."""

    def __init__(self, pg: LocalPostgres, broker: LocalMosquitto, collectors: list[Collector] | None = None) -> None:
        self.postmaster = int((pg.datadir / "postmaster.pid").read_text().split()[0])
        self.broker = broker.process.pid if broker.process else -1
        self.collectors = collectors or []
        self.publishers = 0.0
        self.before = _cpu_seconds()

    def report(self, messages: int) -> str:
        collectors = {c.process.pid for c in self.collectors if c.process}
        parts = {"collector": 0.0, "PostgreSQL": 0.0, "mosquitto": 0.0, "this process": 0.0}
        for pid, (ppid, cpu) in _cpu_seconds().items():
            spent = cpu - self.before.get(pid, (ppid, 0.0))[1]
            if pid in collectors:
                parts["collector"] += spent
            elif pid == self.postmaster or ppid == self.postmaster:
                parts["PostgreSQL"] += spent
            elif pid == self.broker:
                parts["mosquitto"] += spent
            elif pid == os.getpid():
                parts["this process"] += spent
        parts["publishers"] = self.publishers
        shown = [f"{name} {seconds / messages * 1e6:.0f}" for name, seconds in parts.items() if seconds > 0.01]
        return "    CPU µs per rating: " + ", ".join(shown)


class Fleet:
    """Kiosk fleets in processes of their own (not sharing our interpreter): each publishes its share and exits."""

    def __init__(self, port: int, args: Any) -> None:
        self.processes = [
            subprocess.Popen(
                [
                    sys.executable,
                    __file__,
                    "--publish-to",
                    str(port),
                    "--messages",
                    str(args.messages),
                    "--kiosks",
                    str(args.kiosks),
                    "--share",
                    f"{i}/{args.publishers}",
                ]
            )
            for i in range(args.publishers)
        ]

    def wait(self, meter: CpuMeter | None = None) -> None:
        """Wait for every publisher; add the CPU each used to `meter`."""
        for process in self.processes:
            _, status, usage = os.wait4(process.pid, 0)
            process.returncode = os.waitstatus_to_exitcode(status)
            if meter is not None:
                meter.publishers += usage.ru_utime + usage.ru_stime


def feed(port: int, args: Any) -> Fleet:
    return Fleet(port, args)


def end_session(port: int, client_id: str) -> None:
    """Discard the broker's persistent session of `client_id` (a clean start without session expiry)."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    client.username_pw_set(client_id)
    client.connect("127.0.0.1", port, clean_start=True)
    client.loop_start()
    client.disconnect()
    client.loop_stop()


def run_collectors(
    count: int, pg: LocalPostgres, broker: LocalMosquitto, work: Path, args: Any, round_: int, path: str
) -> tuple[float, str]:
    """`count` collectors (a shared subscription when more than one) with the fast path `on` or `off`."""
    name = f"{count}-{path}-r{round_}"
    db = pg.create_database(f"mlf_{name.replace('-', '_')}")
    collectors = []
    for i in range(count):
        env = {k: v for k, v in os.environ.items() if not k.startswith("COLLECTOR_")}
        env.update(
            COLLECTOR_DATABASE_URL=db,
            COLLECTOR_MQTT_PORT=str(broker.port),
            COLLECTOR_HTTP_PORT=str(free_port()),
            COLLECTOR_MQTT_CLIENT_ID=f"bench-{name}-{i}",
            COLLECTOR_MQTT_FAST_PATH=path,
            COLLECTOR_BATCH_MAX=str(args.batch_max),
            COLLECTOR_LOG_LEVEL="WARNING",
        )
        if count > 1:
            env["COLLECTOR_MQTT_SHARE_GROUP"] = f"bench{name.replace('-', '')}"
        collectors.append(Collector(env, work / f"collector-{name}-{i}.log"))
    for c in collectors:  # create the sessions and subscriptions
        c.start()
    for c in collectors:
        c.wait_healthy()
        c.create_token()
    if args.mode == "backlog":  # leave, let the broker queue everything, come back
        for c in collectors:
            c.stop()
        feed(broker.port, args).wait()
        for c in collectors:
            c.start()
        for c in collectors:
            c.wait_healthy()
        meter = CpuMeter(pg, broker, collectors)  # from here: the start-up is not the drain's
    else:
        meter = CpuMeter(pg, broker, collectors)
        fleet = feed(broker.port, args)
    wait_until(lambda: sum(c.stored() for c in collectors), args.messages)
    last_commit = max(c.sample("mlf_ingest_last_commit_timestamp_seconds") for c in collectors)
    if args.mode == "live":
        fleet.wait(meter)
    cpu = meter.report(args.messages)
    for c in collectors:
        c.stop()
        end_session(broker.port, c.env["COLLECTOR_MQTT_CLIENT_ID"])
    with psycopg.connect(db) as conn:
        row = conn.execute(
            "SELECT count(*), count(DISTINCT event_id), extract(epoch FROM min(received_at)) FROM ratings"
        ).fetchone()
    assert row is not None
    assert row[:2] == (args.messages, args.messages), f"stored {row[:2]}, sent {args.messages}"
    # From the first message received (its receive time, stored with it) to the commit that stored the last
    # one (the collectors' own gauge), on the machine's clock: polling /metrics from here could not tell
    # when the first arrived, and while a second collector starts the first may already drain.
    return float(args.messages - 1) / (last_commit - float(row[2])), cpu


def run_do_nothing(pg: LocalPostgres, broker: LocalMosquitto, args: Any, round_: int = 0) -> tuple[float, str]:
    sub = DoNothing(broker.port, f"bench-null-r{round_}", receive_maximum(args.batch_max, DEFAULTS["writers"].default))
    sub.connect()
    time.sleep(0.5)
    if args.mode == "backlog":
        sub.disconnect()
        feed(broker.port, args).wait()
        meter = CpuMeter(pg, broker)
        sub.connect()
        wait_until(lambda: float(sub.count), args.messages)
    else:
        meter = CpuMeter(pg, broker)
        fleet = feed(broker.port, args)
        wait_until(lambda: float(sub.count), args.messages)
        fleet.wait(meter)
    cpu = meter.report(args.messages)
    sub.disconnect()
    end_session(broker.port, sub.client_id)
    return float(args.messages - 1) / (sub.last - sub.first), cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--kiosks", type=int, default=500)
    parser.add_argument("--batch-max", type=int, default=DEFAULTS["batch_max"].default, help="COLLECTOR_BATCH_MAX")
    parser.add_argument(
        "--mode",
        choices=["backlog", "live"],
        default="backlog",
        help="backlog: drain ratings queued while away; live: consume while a kiosk fleet publishes",
    )
    parser.add_argument("--rounds", type=int, default=3, help="side-by-side rounds, medians reported (default 3)")
    parser.add_argument(
        "--paths", default="on,off", help="COLLECTOR_MQTT_FAST_PATH values to run the collectors with (default on,off)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs)")
    parser.add_argument(
        "--publishers", type=int, default=2, help="publishing processes, kiosks split between them (default 2)"
    )
    parser.add_argument("--publish-to", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--share", default="0/1", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.publish_to:
        index, count = (int(x) for x in args.share.split("/"))
        mine = [m for i, m in enumerate(backlog(args.messages, args.kiosks)) if i % args.kiosks % count == index]
        publish(args.publish_to, mine, f"bench-kiosks-{index}")
        return
    work = Path(tempfile.mkdtemp(prefix="mlf-bench-"))
    work.chmod(0o755)
    pg = LocalPostgres(work / "pg" / "data", free_port(), durable=True)
    broker = LocalMosquitto(work / "mqtt", free_port())
    try:
        (work / "pg").mkdir()
        give_to(work / "pg", pg.user)
        pg.init()
        pg.start()
        broker.start()
        print(f"{args.messages} ratings from {args.kiosks} kiosks, {args.mode}; PostgreSQL fsync on; 2 cores shared")
        paths = [p.strip() for p in args.paths.split(",") if p.strip()]
        ratios: dict[str, list[tuple[float, float, float]]] = {path: [] for path in paths}
        for round_ in range(args.rounds):
            if args.rounds > 1:
                print(f"round {round_ + 1} of {args.rounds}")
            baseline, cpu = run_do_nothing(pg, broker, args, round_)
            print(f"do-nothing subscriber      {baseline:10,.0f} msg/s\n{cpu}")
            for path in paths:
                one, cpu = run_collectors(1, pg, broker, work, args, round_, path)
                print(
                    f"collector, fast path {path:3} {one:9,.0f} msg/s   {one / baseline:.2f}x"
                    f" the do-nothing subscriber\n{cpu}"
                )
                two, cpu = run_collectors(2, pg, broker, work, args, round_, path)
                print(
                    f"two collectors, {path:3}     {two:10,.0f} msg/s   {two / one:.2f}x one collector,"
                    f" {two / baseline:.2f}x the do-nothing subscriber\n{cpu}"
                )
                ratios[path].append((one / baseline, two / one, two / baseline))
        if args.rounds > 1:
            for path in paths:
                median = [statistics.median(r[k] for r in ratios[path]) for k in range(3)]
                print(
                    f"median of {args.rounds} rounds, fast path {path}: collector {median[0]:.2f}x the do-nothing"
                    f" subscriber; two collectors {median[1]:.2f}x one, {median[2]:.2f}x the do-nothing subscriber"
                )
    finally:
        broker.stop()
        pg.stop("fast")
        if args.keep:
            print(f"work folder: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
