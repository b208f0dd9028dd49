"""The README's first command: the demo comes up, shows ratings arriving, and Ctrl-C stops it cleanly."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from devstack.processes import free_port
from tests.e2e.demo_process import left_behind, running_demo, start_demo
from tests.waiting import wait_for


def _reports(text: str, naming: str) -> list[str]:
    """The demo's report lines that name `naming`."""
    return [line for line in text.splitlines() if "green/yellow/red" in line and naming in line]


def test_demo_comes_up_shows_ratings_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    with running_demo(tmp_path, "--interval", "0.5") as demo:
        assert wait_for(lambda: _reports(demo.text(), "sportello-3:") or demo.process.poll() is not None, 120, 0.5)
        assert demo.process.poll() is None, demo.text()
        assert demo.interrupt() == 0, demo.text()
    api = demo.api
    text = demo.text()
    assert "The system is up." in text
    assert f"http://127.0.0.1:{api}" in text
    report = _reports(text, "sportello-3:")[0]  # on a busy machine the first reports may not name every kiosk yet
    assert "sportello-1:" in report
    assert "Everything was delivered." in text
    assert "Stopped. Data is kept in" in text
    stops = [line.strip().split(" stopped (")[0] for line in text.splitlines() if " stopped (" in line]
    assert stops == ["the simulated kiosks", "the collector", "mosquitto", "PostgreSQL"], text  # in this order
    assert "Traceback" not in text, text
    assert "connection lost" not in text, text  # the broker went after the collector, not under it


def test_ctrl_c_stops_the_demo_in_seconds_with_extra_simulators_running_and_leaves_nothing(tmp_path: Path) -> None:
    """A newcomer runs more simulators in another terminal, then presses Ctrl-C on the demo, then on them."""
    api, mqtt, pg = free_port(), free_port(), free_port()
    demo_mark, sim_mark = f"MLF_TEST_DEMO={uuid.uuid4()}", f"MLF_TEST_SIM={uuid.uuid4()}"

    def marked(mark: str) -> dict[str, str]:
        name, value = mark.split("=")
        return {**os.environ, name: value}  # inherited by every process below, forked kiosks included

    out = tmp_path / "demo.out"
    demo = start_demo(tmp_path / "var", out, (api, mqtt, pg), env=marked(demo_mark))
    extra = None
    try:
        assert wait_for(lambda: b"green/yellow/red" in out.read_bytes() or demo.poll() is not None, 120)
        with (tmp_path / "sim.out").open("wb") as sim_sink:
            extra = subprocess.Popen(
                [sys.executable, "-m", "firmware_sim.cli", "--port", str(mqtt), "--quiet", "run", "--kiosks", "5"],
                stdout=sim_sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # another terminal
                env=marked(sim_mark),
            )
        assert wait_for(lambda: len(left_behind([sim_mark])) >= 6, 60)  # the simulator and its kiosks
        time.sleep(5)
        os.killpg(demo.pid, signal.SIGINT)
        started = time.monotonic()
        assert demo.wait(60) == 0, out.read_text()
        demo_stop_s = time.monotonic() - started
        assert wait_for(lambda: not left_behind([demo_mark]), 5), left_behind([demo_mark])
        os.killpg(extra.pid, signal.SIGINT)
        started = time.monotonic()
        extra.wait(60)
        sim_stop_s = time.monotonic() - started
        assert wait_for(lambda: not left_behind([sim_mark]), 5), left_behind([sim_mark])
    finally:
        for process in (demo, extra):
            if process is not None and process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        for pid in left_behind([demo_mark, sim_mark]):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    assert demo_stop_s < 30, out.read_text()
    assert sim_stop_s < 20
    assert "Stopped. Data is kept in" in out.read_text()
    assert "Simulated fleet: 5 kiosk(s)" in (tmp_path / "sim.out").read_text()  # it reported as it stopped
