"""The README's first command: the demo comes up, shows ratings arriving, and Ctrl-C stops it cleanly."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from devstack.processes import free_port


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


def test_demo_comes_up_shows_ratings_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    api, mqtt, pg = free_port(), free_port(), free_port()
    args = ["--var", str(tmp_path / "var"), "--api-port", str(api), "--mqtt-port", str(mqtt), "--pg-port", str(pg)]
    out = tmp_path / "demo.out"
    with out.open("wb") as sink:
        # A session of its own, as a terminal's foreground job: Ctrl-C goes to the whole process group.
        demo = subprocess.Popen(
            [sys.executable, "-m", "devstack.demo", *args, "--interval", "0.5"],
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and b"green/yellow/red" not in out.read_bytes():
                assert demo.poll() is None, out.read_text()
                time.sleep(0.5)
            os.killpg(demo.pid, signal.SIGINT)
            # Each service has 10-60 s to stop before it is killed; on an idle machine the whole stop takes seconds.
            assert demo.wait(150) == 0, out.read_text()
        finally:
            if demo.poll() is None:
                os.killpg(demo.pid, signal.SIGKILL)
                demo.wait()
            # Services run in sessions of their own, from the demo's folders (which may be links elsewhere).
            folders = [str((tmp_path / "var" / name).resolve()) for name in ("postgres", "mosquitto", "sim")]
            for pid in left_behind([str(tmp_path), *folders, f"COLLECTOR_HTTP_PORT={api}"]):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(os.getpgid(pid), signal.SIGKILL)  # its whole group: forked workers too
    text = out.read_text()
    assert "The system is up." in text
    assert f"http://127.0.0.1:{api}" in text
    report = next(line for line in text.splitlines() if "green/yellow/red" in line)
    assert "sportello-1:" in report
    assert "sportello-3:" in report
    assert "Everything was delivered." in text
    assert "Stopped. Data is kept in" in text
    stops = [line.strip().split(" stopped (")[0] for line in text.splitlines() if " stopped (" in line]
    assert stops == ["the simulated kiosks", "the collector", "mosquitto", "PostgreSQL"], text  # in this order
    assert "Traceback" not in text, text
    assert "connection lost" not in text, text  # the broker went after the collector, not under it
