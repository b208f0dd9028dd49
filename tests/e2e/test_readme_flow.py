"""The README's "first ten minutes", run as written against a real collector, mosquitto and PostgreSQL."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

from devstack.mosquitto import LocalMosquitto
from tests.fixtures.fix_collector import CollectorProcess

ROOT = Path(__file__).resolve().parents[2]


def newcomer_block() -> str:
    text = (ROOT / "README.md").read_text()
    match = re.search(r"<!-- BEGIN newcomer.*?-->\n```sh\n(.*?)```\n<!-- END newcomer -->", text, re.S)
    assert match, "the README lost its newcomer block"
    return match.group(1)


def test_newcomer_sees_a_simulated_counter_turn_below_target(
    secured_broker: LocalMosquitto, secured_collector: CollectorProcess, database_url: str
) -> None:
    """Against a broker where every client logs in, as the demo's: the kiosk's password from its
    registration is what lets the simulated kiosk in."""
    broker, collector = secured_broker, secured_collector
    script = (
        newcomer_block()
        .replace("postgresql://mlf@127.0.0.1:15432/mlf", database_url)
        .replace("http://127.0.0.1:8000", collector.url)
        .replace("--port 11883", f"--port {broker.port}")
    )
    assert script.count(database_url) == 1
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COLLECTOR_", "KIOSK_"))}
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr + done.stdout
    overviews = [json.loads(line) for line in done.stdout.splitlines() if line.startswith('{"generated_at"')]
    assert len(overviews) == 2, done.stdout
    before, after = (o["rows"][0] for o in overviews)
    assert before["service_point"] == "torino-sportello-1"
    assert before["flag"]["state"] == "not_enough_data"
    assert after["flag"]["state"] == "below_target"
    assert after["total"] == 60
    assert after["counts"] == {"positive": 27, "neutral": 12, "negative": 21}
    assert after["target"] == {
        "min_green_share": 0.8,
        "max_red_share": 0.1,
        "min_ratings": 30,
        "window_days": 28,
        "source": "organisation",
    }
    kiosks = {k["id"]: k for k in collector.get("/v1/kiosks?org=torino")}
    assert kiosks["torino-k1"]["acked_seq"] == 60
