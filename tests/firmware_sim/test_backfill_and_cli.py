"""`mlf-sim backfill` through the real protocol, and the CLI's help, errors and report."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest

from devstack.mosquitto import LocalMosquitto
from firmware_sim.cli import main as sim_main
from tests.fixtures.fix_collector import CollectorProcess


def test_backfill_sends_weeks_of_history_with_past_times(
    broker: LocalMosquitto, collector: CollectorProcess, database_url: str, tmp_path: Path
) -> None:
    end = date.today()
    start = end - timedelta(days=21)
    report_file = tmp_path / "report.json"
    args = ["--port", str(broker.port), "--org", "past", "--quiet", "--json", str(report_file)]
    code = sim_main([*args, "backfill", "--kiosks", "3", "--from", start.isoformat(), "--to", end.isoformat()])
    report = json.loads(report_file.read_text())
    assert code == 0
    assert report["delivered"]
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT kiosk_id, count(*), count(DISTINCT event_id), min(pressed_at), max(pressed_at)"
            " FROM ratings WHERE org_id = 'past' GROUP BY kiosk_id"
        ).fetchall()
    stored = {kiosk: (n, distinct) for kiosk, n, distinct, _, _ in rows}
    for kiosk in report["kiosks"]:
        assert kiosk["accepted"] > 100
        assert stored[kiosk["kiosk_id"]] == (kiosk["accepted"], kiosk["accepted"]) == (kiosk["acknowledged"],) * 2
    rome = ZoneInfo("Europe/Rome")
    for _, _, _, first, last in rows:
        assert start <= first.astimezone(rome).date()
        assert last.astimezone(rome).date() < end


def test_help_describes_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    for command in ([], ["press"], ["run"], ["backfill"], ["report"]):
        with pytest.raises(SystemExit) as exc:
            sim_main([*command, "--help"])
        assert exc.value.code == 0
    out = capsys.readouterr().out
    for text in ("mlf-sim backfill", "--outage-every", "--kill-every", "--wrong-clock", "--office-hours"):
        assert text in out


def test_bad_arguments_are_explained(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        sim_main(["press", "--mix", "60:40"])
    assert exc.value.code == 2
    assert "mix '60:40' is not three non-negative numbers" in capsys.readouterr().err
    assert sim_main(["--org", "Not A Slug", "press", "--count", "1", "--wait-timeout", "0"]) == 2
    assert "organisation" in capsys.readouterr().err
    assert sim_main(["report"]) == 2
    assert sim_main(["backfill", "--from", "2026-02-01", "--to", "2026-01-01"]) == 2
    assert "--to must be after --from" in capsys.readouterr().err


def test_undelivered_presses_are_kept_and_reported(
    broker: LocalMosquitto, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No collector: the broker takes the ratings but nothing acknowledges them, so nothing is forgotten."""
    folder = tmp_path / "sim"
    args = ["--port", str(broker.port), "--org", "nocoll", "--data-dir", str(folder)]
    assert sim_main([*args, "press", "--kiosk", "nocoll-k1", "--count", "5", "--wait-timeout", "1"]) == 1
    assert "still pending: 5" in capsys.readouterr().out
    assert sim_main(["--data-dir", str(folder), "--json", str(tmp_path / "r.json"), "report"]) == 1
    out = capsys.readouterr().out
    assert "nocoll-k1" in out
    assert "NOT everything was delivered" in out
    assert json.loads((tmp_path / "r.json").read_text())["totals"]["pending"] == 5
