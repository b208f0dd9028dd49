"""`mlf-sim` says "Everything was delivered" only when the rows are in PostgreSQL, and never runs a kiosk twice
from one folder. Two runs with one kiosk id (two instances, as two devices would be) each get their own truth."""

from __future__ import annotations

import fcntl
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from devstack.mosquitto import LocalMosquitto
from firmware_sim.cli import main as sim_main
from tests.fixtures.fix_collector import CollectorProcess

ROOT = Path(__file__).resolve().parents[2]


def mlf_sim(port: int, *args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    return subprocess.Popen(
        [sys.executable, "-m", "firmware_sim.cli", "--port", str(port), "--quiet", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def stored_seqs(database_url: str, instance: str) -> list[int]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute("SELECT seq FROM ratings WHERE instance = %s ORDER BY seq", (instance,))
        return [int(seq) for (seq,) in rows]


def test_two_runs_with_one_kiosk_id_each_report_only_what_is_stored(
    broker: LocalMosquitto, collector: CollectorProcess, database_url: str
) -> None:
    """They fight over one MQTT client id, so one may back off past its wait: its words must still be true."""
    press = ["press", "--kiosk", "twin-k1", "--service-point", "twin-sp", "--count", "40", "--interval", "0.05"]
    runs = [mlf_sim(broker.port, "--org", "twins", "--seed", str(seed), *press) for seed in (1, 2)]
    outputs = [run.communicate(timeout=180)[0] for run in runs]
    instances, delivered = set(), 0
    for run, out in zip(runs, outputs, strict=True):
        found = re.search(r"pressed 40 on twin-k1 \(instance ([0-9a-f-]{36})\).* up to seq (\d+) of 40", out)
        assert found, out
        instance, acked = found.group(1), int(found.group(2))
        instances.add(instance)
        stored = stored_seqs(database_url, instance)
        assert set(range(1, acked + 1)) <= set(stored), out  # what it calls acknowledged is in PostgreSQL
        if re.search(r"^Everything was delivered\.$", out, re.M):
            assert (run.returncode, acked, stored) == (0, 40, list(range(1, 41))), out
            delivered += 1
        else:
            assert run.returncode == 1, out
            assert "NOT everything was delivered yet." in out
            assert f"still pending: {40 - acked}" in out
    assert len(instances) == 2  # two outboxes, two instances, numbered on their own
    assert delivered >= 1


def test_without_a_collector_nothing_is_called_delivered(
    broker: LocalMosquitto, database_url: str, tmp_path: Path
) -> None:
    run = mlf_sim(
        broker.port, "--data-dir", str(tmp_path), "press", "--kiosk", "alone-k1", "--count", "5", "--wait-timeout", "3"
    )
    out = run.communicate(timeout=120)[0]
    assert run.returncode == 1, out
    assert "NOT everything was delivered yet." in out
    assert "Everything was delivered." not in out.replace("NOT everything", "")
    assert "still pending: 5" in out


def test_a_kiosk_already_running_from_the_same_folder_is_refused(
    broker: LocalMosquitto, collector: CollectorProcess, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = mlf_sim(broker.port, "--data-dir", str(tmp_path), "run", "--kiosks", "2", "--duration", "30")
    try:
        assert _held(tmp_path / "sim-k1" / "outbox.sqlite3.lock"), "the first run did not start"
        code = sim_main(["--port", str(broker.port), "--data-dir", str(tmp_path), "--quiet", "run", "--kiosks", "1"])
        assert code == 2
        err = capsys.readouterr().err
        assert re.search(r"mlf-sim: error: kiosk sim-k1 is already running: .*sim-k1 is in use by another kiosk", err)
        assert "another --data-dir" in err
        direct = sim_main(
            ["--port", str(broker.port), "--data-dir", str(tmp_path), "press", "--kiosk", "sim-k1", "--count", "1"]
        )
        assert direct == 2  # the in-process kiosk of `press` meets the same lock
        assert "in use by another kiosk process" in capsys.readouterr().err
    finally:
        first.send_signal(signal.SIGINT)  # Ctrl-C: it stops its kiosks and reports
        first.communicate(timeout=120)


def _held(lock: Path, timeout: float = 60) -> bool:
    """Whether some process holds `lock` (waiting up to `timeout` for it to appear)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if lock.exists():
            with lock.open("rb") as handle:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    return True
                fcntl.flock(handle, fcntl.LOCK_UN)
        time.sleep(0.1)
    return False
