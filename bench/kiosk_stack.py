"""Local services for the kiosk benchmarks: mosquitto, PostgreSQL and the collector, in a temporary folder."""

from __future__ import annotations

import atexit
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devstack.mosquitto import LocalMosquitto
from devstack.postgres import LocalPostgres
from devstack.processes import free_port


@dataclass
class Stack:
    folder: Path
    broker: LocalMosquitto
    database_url: str | None = None


def scratch(name: str) -> Path:
    """A folder the services' unprivileged account can use (see devstack); removed at exit."""
    path = Path(tempfile.mkdtemp(prefix=f"mlf-bench-kiosk-{name}-"))
    path.chmod(0o755)
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


def stop_on_sigterm() -> None:
    """`timeout` or a CI runner sends SIGTERM: unwind, so the services started here are stopped."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


@contextmanager
def broker_only() -> Iterator[Stack]:
    stop_on_sigterm()
    folder = scratch("mqtt")
    broker = LocalMosquitto(folder / "mqtt", free_port())
    broker.start()
    try:
        yield Stack(folder, broker)
    finally:
        broker.stop()


@contextmanager
def postgres() -> Iterator[str]:
    folder = scratch("pg")
    server = LocalPostgres(folder / "data", free_port(), durable=False)
    server.init()
    server.start()
    try:
        yield server.ensure_database("mlf")
    finally:
        server.stop("immediate")


@dataclass
class RunningCollector:
    process: subprocess.Popen[bytes]
    url: str
    env: dict[str, str]

    def admin(self, method: str, path: str, body: object) -> Any:
        """An API call with a new admin key (made as an operator makes the first one, by the admin CLI)."""
        key = (
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "collector.main",
                    "admin",
                    "key",
                    "create",
                    "--name",
                    "bench",
                    "--role",
                    "admin",
                ],
                env=self.env,
                capture_output=True,
                text=True,
                timeout=60,
                check=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        request = urllib.request.Request(  # noqa: S310 - loopback
            self.url + path,
            data=json.dumps(body).encode(),
            method=method,
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
            return json.load(response)


@contextmanager
def collector(database_url: str, broker: LocalMosquitto) -> Iterator[RunningCollector]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("COLLECTOR_")}
    env |= {
        "COLLECTOR_DATABASE_URL": database_url,
        "COLLECTOR_MQTT_PORT": str(broker.port),
        "COLLECTOR_HTTP_PORT": str(port),
        "COLLECTOR_LOG_LEVEL": os.environ.get("MLF_BENCH_COLLECTOR_LOG", "WARNING"),
    }
    process = subprocess.Popen([sys.executable, "-m", "collector.main"], env=env)
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the collector did not start") from None
            time.sleep(0.2)
    try:
        yield RunningCollector(process, f"http://127.0.0.1:{port}", env)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(30)


def machine_note() -> str:
    return f"{os.cpu_count()} cores; other work may share them, so compare the rows of one run"
