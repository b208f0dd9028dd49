"""One path end to end through real parts: button press -> kiosk -> mosquitto -> collector -> PostgreSQL -> API."""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

from devstack.mosquitto import LocalMosquitto
from firmware_sim.cli import main as sim_main
from tests.fixtures.fix_collector import CollectorProcess
from tests.fixtures.fix_secured import register_kiosk
from tests.waiting import wait_for

DOCS = Path(__file__).resolve().parents[2] / "docs" / "mqtt.md"


def test_hundred_presses_arrive_with_the_exact_mix(
    broker: LocalMosquitto, start_collector: Callable[..., CollectorProcess]
) -> None:
    # 100 presses within a second would be a burst of misuse: allow them here, this test is about delivery.
    collector = start_collector(COLLECTOR_MISUSE_MAX_PRESSES="1000")
    code = sim_main(
        [
            "--port",
            str(broker.port),
            "--org",
            "e2e",
            "press",
            "--kiosk",
            "e2e-k1",
            "--service-point",
            "e2e-sportello-1",
            "--count",
            "100",
            "--mix",
            "60:30:10",
        ]
    )
    assert code == 0
    summary_url = "/v1/service-points/e2e-sportello-1/summary?from=2020-01-01&to=2100-01-01"
    summary = wait_for(lambda: (s := collector.get(summary_url)) and s["total"] == 100 and s)
    assert summary, collector.get(summary_url)
    assert summary["counts"] == {"positive": 60, "neutral": 30, "negative": 10}
    assert summary["organisation"] == "e2e"


def _doc_command(kind: str) -> str:
    text = DOCS.read_text()
    match = re.search(rf"(mosquitto_pub [^\n]*-t mlf/v1/\S+/{kind} \\\n  -m '[^\n]*')", text)
    assert match
    return match.group(1)


def _run_as_documented(command: str, port: int, password: str) -> None:
    """The docs' command as a shell runs it, with the kiosk's password in the environment it names."""
    env = {**os.environ, "KIOSK_MQTT_PASSWORD": password}
    script = command.replace("-p 11883", f"-p {port}")
    subprocess.run(["bash", "-euo", "pipefail", "-c", script], check=True, timeout=10, env=env)


def test_payload_published_by_hand_as_documented_is_stored(
    secured_broker: LocalMosquitto, secured_collector: CollectorProcess, database_url: str
) -> None:
    password = register_kiosk(secured_collector, "roma", "roma-anagrafe-sportello-3", "roma-anagrafe-k1")
    _run_as_documented(_doc_command("rating"), secured_broker.port, password)
    _run_as_documented(_doc_command("rating"), secured_broker.port, password)  # the same event twice: stored once

    def stored() -> int:
        with psycopg.connect(database_url) as conn:
            row = conn.execute("SELECT count(*) FROM ratings").fetchone()
            return int(row[0]) if row else 0

    assert wait_for(lambda: stored() == 1)
    time.sleep(0.5)
    assert stored() == 1
    today = datetime.now(UTC).date()
    period = f"from={today - timedelta(days=1)}&to={today + timedelta(days=2)}"
    summary = secured_collector.get(f"/v1/service-points/roma-anagrafe-sportello-3/summary?{period}")
    assert summary["counts"] == {"positive": 0, "neutral": 0, "negative": 1}  # pressed now, as the command says
    (kiosk,) = secured_collector.get("/v1/kiosks?org=roma")
    assert kiosk["instance"] == "3f2a9c64-1b7e-4d0a-8c55-0e9d7b6a4f21"


def test_malformed_payload_is_quarantined_and_collector_keeps_running(
    broker: LocalMosquitto, collector: CollectorProcess, database_url: str
) -> None:
    topic = "mlf/v1/roma/roma-anagrafe-k1/rating"
    for payload in ("this is not json", '{"face": "happy"}'):
        subprocess.run(
            ["mosquitto_pub", "-p", str(broker.port), "-u", "roma-anagrafe-k1", "-q", "1", "-t", topic, "-m", payload],
            check=True,
            timeout=10,
        )

    def quarantined() -> list[tuple[str, str, bytes]]:
        with psycopg.connect(database_url) as conn:
            return conn.execute("SELECT reason, detail, payload FROM quarantine ORDER BY received_at, id").fetchall()

    rows = wait_for(lambda: len(quarantined()) == 2 and quarantined())
    assert rows, quarantined()
    assert [r[0] for r in rows] == ["not_json", "schema"]
    assert "face: Input should be 'positive', 'neutral' or 'negative'" in rows[1][1]
    assert rows[0][2] == b"this is not json"
    assert collector.get("/healthz")["status"] == "ok"
    _run_as_documented(_doc_command("rating"), broker.port, "no password on this test broker")
    today = datetime.now(UTC).date()
    period = f"from={today - timedelta(days=1)}&to={today + timedelta(days=2)}"
    url = f"/v1/service-points/roma-anagrafe-sportello-3/summary?{period}"
    assert wait_for(lambda: collector.get_or_none(url) and collector.get(url)["total"] == 1, every=0.5)
