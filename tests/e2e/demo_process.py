"""`mlf-demo` in its own process, on ports and in a folder of its own, as a terminal's foreground job runs it."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from devstack.processes import free_port


@dataclass
class Demo:
    process: subprocess.Popen[bytes]
    out: Path
    """Everything it printed."""
    var: Path
    api: int
    mqtt: int
    pg: int

    def text(self) -> str:
        return self.out.read_text()

    def wait_for(self, line: str, timeout: float = 120) -> None:
        """Until the demo has printed `line` (it must keep running meanwhile)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and line.encode() not in self.out.read_bytes():
            assert self.process.poll() is None, self.text()
            time.sleep(0.5)

    def interrupt(self, timeout: float = 150) -> int:
        """Ctrl-C, as a terminal sends it to the whole foreground group; its exit code."""
        os.killpg(self.process.pid, signal.SIGINT)
        # Each service has 10-60 s to stop before it is killed; on an idle machine the whole stop takes seconds.
        return self.process.wait(timeout)


def left_behind(marks: list[str]) -> list[int]:
    """Processes whose command line or environment names one of `marks` (the demo's folder, its API port)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            seen = (proc / "cmdline").read_bytes() + (proc / "environ").read_bytes()
        except OSError:
            continue
        if any(mark.encode() in seen for mark in marks):
            found.append(int(proc.name))
    return found


def start_demo(
    var: Path, out: Path, ports: tuple[int, int, int], *options: str, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """`mlf-demo` on (api, mqtt, pg) ports, printing to `out`, in a session of its own as a terminal's foreground
    job: Ctrl-C (SIGINT to its process group) goes to the whole group."""
    api, mqtt, pg = ports
    args = ["--var", str(var), "--api-port", str(api), "--mqtt-port", str(mqtt), "--pg-port", str(pg), *options]
    with out.open("wb") as sink:
        return subprocess.Popen(
            [sys.executable, "-m", "devstack.demo", *args],
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=env,
        )


@contextlib.contextmanager
def running_demo(folder: Path, *options: str) -> Iterator[Demo]:
    """The demo started in `folder` (its data in `folder/var`); whatever it left running is killed after."""
    api, mqtt, pg = free_port(), free_port(), free_port()
    var = folder / "var"
    out = folder / "demo.out"
    process = start_demo(var, out, (api, mqtt, pg), *options)
    try:
        yield Demo(process, out, var, api, mqtt, pg)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        # Services run in sessions of their own, from the demo's folders (which may be links elsewhere).
        folders = [str((var / name).resolve()) for name in ("postgres", "mosquitto", "sim")]
        for pid in left_behind([str(folder), *folders, f"COLLECTOR_HTTP_PORT={api}"]):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(os.getpgid(pid), signal.SIGKILL)  # its whole group: forked workers too
