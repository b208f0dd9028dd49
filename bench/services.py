"""The long runs' services: PostgreSQL, mosquitto and the collector as users run them, each restartable.

`chaos_long.py`, `fuzz_ingest.py`, `e2e_latency.py` and `national_day.py` start everything here in a
scratch folder of their own (removed at exit), on free loopback ports, and stop what they started
however they end (Ctrl-C, SIGTERM from `timeout`, an exception).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from kiosk_stack import scratch, stop_on_sigterm
from paho.mqtt.enums import CallbackAPIVersion
from prometheus_client.parser import text_string_to_metric_families

from devstack.mosquitto import LocalMosquitto
from devstack.postgres import LocalPostgres
from devstack.processes import free_port, give_to


@dataclass
class Collector:
    """`mlf-collector serve` in a process of its own; `kill()` is a SIGKILL, `stop()` a clean SIGINT."""

    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0
    metrics_token: str | None = None

    @property
    def port(self) -> int:
        return int(self.env["COLLECTOR_HTTP_PORT"])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "collector.main", "serve"],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # our Ctrl-C is not its: we stop it in order
            )
        self.starts += 1

    def wait_serving(self, timeout: float = 90) -> bool:
        """Until the API answers (503 included: the database or the broker may be away); False if it exited."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive:
                return False
            try:
                urllib.request.urlopen(self.url + "/healthz", timeout=2).close()  # noqa: S310 - loopback
                return True
            except urllib.error.HTTPError:
                return True
            except OSError:
                time.sleep(0.1)
        return False

    def start_until_serving(self, timeout: float = 180) -> None:
        """Start it, again and again while its pre-flight checks fail (as systemd's Restart=always would)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive:
                self.start()
            if self.wait_serving(min(60.0, max(1.0, deadline - time.monotonic()))):
                return
            time.sleep(1)
        raise TimeoutError(f"the collector did not start within {timeout:.0f} s: see {self.log}")

    def healthy(self) -> bool:
        try:
            urllib.request.urlopen(self.url + "/healthz", timeout=2).close()  # noqa: S310 - loopback
        except OSError:
            return False
        return True

    def kill(self) -> None:
        if self.alive and self.process is not None:
            self.process.kill()
            self.process.wait()

    def stop(self) -> None:
        if self.alive and self.process is not None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(40)
            except subprocess.TimeoutExpired:
                self.kill()

    def rss_mb(self) -> tuple[float, float]:
        """(resident, peak resident) memory of the collector process, MB."""
        if not self.alive or self.process is None:
            return 0.0, 0.0
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        values = {
            line.split(":")[0]: int(line.split()[1]) / 1024 for line in status.splitlines() if line.startswith("Vm")
        }
        return values.get("VmRSS", 0.0), values.get("VmHWM", 0.0)

    def get(self, path: str, token: str, timeout: float = 10) -> Any:
        request = urllib.request.Request(self.url + path, headers={"Authorization": f"Bearer {token}"})  # noqa: S310
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - loopback
            body = response.read()
        if response.headers.get("Content-Type", "").startswith("application/x-ndjson"):
            return [json.loads(line) for line in body.splitlines() if line.strip()]
        return json.loads(body)

    def send(self, method: str, path: str, token: str, body: object) -> Any:
        """A JSON request (POST, PUT, PATCH) with `token`; the answer's JSON, or None when it has none."""
        request = urllib.request.Request(  # noqa: S310 - loopback
            self.url + path,
            data=json.dumps(body).encode(),
            method=method,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
            answer = response.read()
        return json.loads(answer) if answer else None

    def metric(self, name: str) -> float:
        """A sample of the collector's /metrics (0 while it does not answer), read with a reader key."""
        if self.metrics_token is None:
            self.metrics_token = self.api_key("reader")
        request = urllib.request.Request(  # noqa: S310 - loopback
            self.url + "/metrics", headers={"Authorization": f"Bearer {self.metrics_token}"}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
                return metric_value(response.read().decode(), name)
        except OSError:
            return 0.0

    def api_key(self, role: str = "admin") -> str:
        """A new API key, made as an operator makes the first one: `mlf-collector admin key create`."""
        done = subprocess.run(
            [sys.executable, "-m", "collector.main", "admin", "key", "create", "--name", "bench", "--role", role],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return done.stdout.strip().splitlines()[-1]

    def tracebacks(self) -> int:
        return self.log.read_text(errors="replace").count("Traceback (most recent call last)")


def metric_value(text: str, name: str) -> float:
    """The value of sample `name` in a Prometheus exposition (0 if absent)."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                return float(sample.value)
    return 0.0


@dataclass
class Stack:
    folder: Path
    postgres: LocalPostgres
    broker: LocalMosquitto
    database_url: str
    collector: Collector
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def broker_pid(self) -> int:
        assert self.broker.process is not None
        return self.broker.process.pid

    @property
    def postgres_pid(self) -> int:
        """The postmaster's (its backends, writers and autovacuum are its children)."""
        return int((self.postgres.datadir / "postmaster.pid").read_text().split()[0])


def collector_env(database_url: str, broker_port: int, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COLLECTOR_")}
    env |= {
        "COLLECTOR_DATABASE_URL": database_url,
        "COLLECTOR_MQTT_PORT": str(broker_port),
        "COLLECTOR_HTTP_PORT": str(free_port()),
        "COLLECTOR_MQTT_CLIENT_ID": "bench-collector",
        "COLLECTOR_LOG_LEVEL": "WARNING",
        "COLLECTOR_RATE_LIMIT": "1000000/minute",
        **settings,
    }
    return env


@contextmanager
def stack(
    name: str, durable: bool = True, autosave_s: int = 1, pg_settings: dict[str, str] | None = None, **settings: str
) -> Iterator[Stack]:
    """PostgreSQL (fsync on unless `durable=False`; `pg_settings` on top of its defaults), mosquitto
    (persistence on) and a serving collector (`settings`: its environment on top of ours)."""
    stop_on_sigterm()
    folder = scratch(name)
    with ExitStack() as cleanup:
        (folder / "pg").mkdir()
        postgres = LocalPostgres(folder / "pg" / "data", free_port(), durable=durable, settings=pg_settings or {})
        give_to(folder / "pg", postgres.user)
        postgres.init()
        postgres.start()
        cleanup.callback(postgres.stop_if_running)
        broker = LocalMosquitto(folder / "mqtt", free_port(), autosave_interval=autosave_s)
        broker.start()
        cleanup.callback(broker.stop)
        url = postgres.ensure_database("mlf")
        collector = Collector(collector_env(url, broker.port, **settings), folder / "collector.log")
        cleanup.callback(collector.stop)
        collector.start_until_serving()
        yield Stack(folder, postgres, broker, url, collector)


def publishers(script: str, count: int, port: int, *args: str) -> list[subprocess.Popen[str]]:
    """`count` processes of `script` in its hidden publisher mode, each with its share (`--share i/count`)."""
    return [
        subprocess.Popen(
            [sys.executable, script, f"--publish-to={port}", f"--share={i}/{count}", *args],
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in range(count)
    ]


def mqtt_client(client_id: str) -> mqtt.Client:
    """A publishing client as the fleet's: MQTT v5, its user name its client id (brokers set up as
    deploy/mosquitto bind the two, and refuse a client without a user name)."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    client.username_pw_set(client_id)
    client.max_inflight_messages_set(2000)
    return client


def percentile(samples: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    ordered = sorted(samples)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


class CpuTally(threading.Thread):
    """CPU seconds (user + system) of process trees, sampled every second: each process counts for the first
    of `roots` (pid -> name, several pids may share a name) among its ancestors. A process that ends between
    two samples loses at most its last second."""

    def __init__(self, roots: dict[int, str]) -> None:
        super().__init__(name="cpu-tally", daemon=True)
        self.roots = roots
        self.seen: dict[int, tuple[str, float]] = {}
        self.stop = threading.Event()
        self.tick = os.sysconf("SC_CLK_TCK")

    def run(self) -> None:
        while not self.stop.wait(1.0):
            self.sample()

    def sample(self) -> None:
        stats: dict[int, tuple[int, float]] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            stats[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / self.tick)
        by_pid = self.roots
        for pid, (_, cpu) in stats.items():
            node, hops = pid, 0
            while node not in by_pid and node in stats and hops < 50:
                node, hops = stats[node][0], hops + 1
            if node in by_pid:
                self.seen[pid] = (by_pid[node], max(cpu, self.seen.get(pid, ("", 0.0))[1]))

    def totals(self) -> dict[str, float]:
        self.sample()
        out = dict.fromkeys(self.roots.values(), 0.0)
        for name, cpu in self.seen.values():
            out[name] += cpu
        return out
