"""The README's alerts and actions blocks, run as written after the "first ten minutes" against a real collector,
mosquitto and PostgreSQL: a webhook subscribed, a signed test alert received and checked by the example
receiver, the delivery log read, the subscription removed; an action recorded and measured."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

from devstack.mosquitto import LocalMosquitto
from devstack.processes import free_port
from tests.e2e.test_readme_flow import newcomer_block
from tests.fixtures.fix_collector import CollectorProcess

ROOT = Path(__file__).resolve().parents[2]


def block(name: str) -> str:
    text = (ROOT / "README.md").read_text()
    match = re.search(rf"<!-- BEGIN {name}.*?-->\n```sh\n(.*?)```\n<!-- END {name} -->", text, re.S)
    assert match, f"the README lost its {name} block"
    return match.group(1)


def test_newcomer_subscribes_a_webhook_and_records_an_action(
    broker: LocalMosquitto, collector: CollectorProcess, database_url: str
) -> None:
    script = newcomer_block() + block("alerts") + block("actions")
    for fixed, ours in (
        ("postgresql://mlf@127.0.0.1:15432/mlf", database_url),
        ("http://127.0.0.1:8000", collector.url),
        ("--port 11883", f"--port {broker.port}"),
        ("HOOK_PORT=8099", f"HOOK_PORT={free_port()}"),
    ):
        assert fixed in script, fixed
        script = script.replace(fixed, ours)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COLLECTOR_", "KIOSK_", "MLF_"))}
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=240
    )
    assert done.returncode == 0, done.stderr + done.stdout
    said = done.stdout
    assert "signature ok: test firing: Test alert: this subscription works" in said
    decoder = json.JSONDecoder()
    answers = [decoder.raw_decode(said, m.start())[0] for m in re.finditer(r"^[\[{]", said, re.M)]
    (deliveries,) = [a for a in answers if isinstance(a, list) and a and "attempt_log" in a[0]]
    assert [(d["alert"], d["status"], d["attempts"]) for d in deliveries] == [("test", "delivered", 1)]
    assert deliveries[0]["attempt_log"][0]["http_status"] == 204
    (action,) = [a for a in answers if isinstance(a, dict) and "effect" in a]
    assert (action["service_point"], action["role"]) == ("torino-sportello-1", "responsabile ufficio")
    assert action["effect"]["verdict"] == "not_enough_data"
    assert not action["effect"]["complete"]
    assert said.rstrip().splitlines()[-1].startswith("not_enough_data {")
    subs = subprocess.run(
        ["curl", "-sf", f"{collector.url}/v1/alerts/subscriptions", "-H", f"Authorization: Bearer {collector.token}"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert json.loads(subs.stdout) == []  # unsubscribed at the end, as the block says
