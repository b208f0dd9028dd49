"""`mlf-sim run` against the real stack: what its report says is what PostgreSQL holds, kiosk by kiosk."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg

from devstack.mosquitto import LocalMosquitto
from firmware_sim.cli import main as sim_main
from tests.fixtures.fix_collector import CollectorProcess


def per_kiosk(database_url: str, org: str) -> dict[str, tuple[int, int, int]]:
    """kiosk -> (ratings, distinct event ids, highest seq) as stored."""
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT kiosk_id, count(*), count(DISTINCT event_id), max(seq) FROM ratings"
            " WHERE org_id = %s GROUP BY kiosk_id",
            (org,),
        )
        return {kiosk: (int(n), int(d), int(m)) for kiosk, n, d, m in rows}


def run_sim(broker: LocalMosquitto, tmp_path: Path, org: str, *args: str) -> dict[str, Any]:
    report = tmp_path / "report.json"
    common = ["--port", str(broker.port), "--org", org, "--data-dir", str(tmp_path / "sim"), "--quiet"]
    code = sim_main([*common, "--json", str(report), *args])
    result: dict[str, Any] = json.loads(report.read_text())
    assert code == 0, result["totals"]
    return result


def assert_report_matches_database(report: dict[str, Any], database_url: str, org: str, kiosks: int) -> None:
    in_db = per_kiosk(database_url, org)
    assert len(report["kiosks"]) == kiosks
    assert report["delivered"]
    assert report["totals"]["pending"] == 0
    for kiosk in report["kiosks"]:
        count, distinct, highest = in_db.get(kiosk["kiosk_id"], (0, 0, 0))
        assert count == distinct, f"{kiosk['kiosk_id']}: duplicates stored"
        assert kiosk["acknowledged"] == count == highest == kiosk["last_seq"], kiosk
        assert kiosk["accepted"] == count, kiosk
    assert report["totals"]["acknowledged"] == sum(c for c, _, _ in in_db.values())


def test_fifty_kiosks_report_matches_what_the_collector_stored(
    broker: LocalMosquitto, collector: CollectorProcess, database_url: str, tmp_path: Path
) -> None:
    report = run_sim(
        broker, tmp_path, "fleet", "--cooldown", "1", "run", "--kiosks", "50", "--interval", "2", "--duration", "20",
        "--mash-share", "0.1",
    )  # fmt: skip
    assert_report_matches_database(report, database_url, "fleet", 50)
    totals = report["totals"]
    assert totals["accepted"] >= 200
    assert totals["ignored"] > 0
    assert totals["accepted"] + totals["ignored"] <= totals["presses"]  # the rest: red again, "skip"


def test_faults_lose_nothing_and_count_nothing_twice(
    broker: LocalMosquitto, collector: CollectorProcess, database_url: str, tmp_path: Path
) -> None:
    report = run_sim(
        broker, tmp_path, "chaos", "--cooldown", "0.5", "--resend-after", "3", "run", "--kiosks", "8",
        "--interval", "1", "--duration", "30", "--outage-every", "8", "--outage-for", "5", "--kill-every", "4",
        "--restart-after", "1", "--wrong-clock", "2", "--ntp-after", "12",
    )  # fmt: skip
    assert report["totals"]["kills"] >= 5
    assert_report_matches_database(report, database_url, "chaos", 8)
    with psycopg.connect(database_url) as conn:
        clocks = conn.execute(
            "SELECT kiosk_id, bool_or(NOT clock_synced),"
            " bool_or(clock_synced AND reported_at > now() - interval '1 hour')"
            " FROM ratings WHERE org_id = 'chaos' GROUP BY kiosk_id"
        ).fetchall()
    booted_in_1970 = [kiosk for kiosk, unsynced, _ in clocks if unsynced]
    assert len(booted_in_1970) == 2  # their ratings say so, for the collector to place them in time
    assert all(later for _, _, later in clocks)  # after NTP answered, they carry the right time
