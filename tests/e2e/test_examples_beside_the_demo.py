"""Every README command and every docs/ example, run in order as a newcomer would against a running demo:
they all work, and the demo's kiosks are left whole (no gaps, nothing unconfirmed, no identity conflict).

The demo runs as `scripts/demo.sh` starts it, on free ports; the examples get those ports, the key the
demo printed and shorter durations (each substitution is checked, so the examples cannot drift from it).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

from devstack.processes import free_port
from kiosk.core.outbox import peek
from kiosk.core.settings import OUTBOX_FILE
from tests.e2e.demo_process import left_behind, start_demo
from tests.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
NOT_HERE = {  # a block holding one of these is not run, for the reason given
    "./scripts/demo.sh": "the demo itself: this test runs it",
    "./scripts/test.sh": "the test suite itself",
    "kiosk-buttons --config /etc/mlf-kiosk/kiosk.toml": "a Raspberry Pi's own settings (deploy/kiosk)",
    ".venv/bin/mlf-kiosk-touch --window": "a window a person presses until they close it "
    "(tests/e2e/test_touch_kiosk.py runs the touch kiosk headless)",
}
SHORTER = {  # the same commands, in less time and with fewer kiosks on a shared 2-core machine
    "run --kiosks 50 --interval 5 --duration 120": "run --kiosks 5 --interval 2 --duration 15",
    "run --kiosks 50 --duration 300 --outage-every 60 --outage-for 20 \\\n  --kill-every 15 --wrong-clock 3 "
    "--ntp-after 40": "run --kiosks 5 --duration 25 --outage-every 8 --outage-for 4 \\\n  --kill-every 6 "
    "--wrong-clock 2 --ntp-after 5",
    "backfill --kiosks 20": "backfill --kiosks 3",
}


def examples() -> list[tuple[str, str]]:
    """(where, shell block) of every ```sh block of the README and docs/, in reading order."""
    found = []
    for document in DOCUMENTS:
        for block in re.findall(r"```sh\n(.*?)```", document.read_text(encoding="utf-8"), re.S):
            found.append((document.name, block))
    return found


def get(url: str, key: str) -> Any:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"})  # noqa: S310 - loopback
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
        return json.load(response)


def script_for(api: int, mqtt: int, pg: int, key: str, scratch: Path) -> str:
    parts = []
    for where, block in examples():
        reason = next((why for part, why in NOT_HERE.items() if part in block), None)
        if reason:
            parts.append(f"# {where}: not run here ({reason})\n")
            continue
        for long, short in SHORTER.items():
            block = block.replace(long, short)
        block = block.replace("KEY=mlf_...   # the key the demo printed", f"KEY={key}")
        parts.append(f"echo '=== {where}'\n{block}")
        if "COLLECTOR_MQTT_SHARE_GROUP" in block:  # two more collectors in the background: a look, then stop
            parts.append("sleep 8; kill %1 %2; wait || true\n")
    text = "".join(parts)
    for long in SHORTER:
        assert long not in text
    for fixed, ours in (
        ("http://127.0.0.1:8000", f"http://127.0.0.1:{api}"),
        ("11883", str(mqtt)),
        ("127.0.0.1:15432", f"127.0.0.1:{pg}"),
        ("COLLECTOR_HTTP_PORT=8001", f"COLLECTOR_HTTP_PORT={free_port()}"),
        ("COLLECTOR_HTTP_PORT=8002", f"COLLECTOR_HTTP_PORT={free_port()}"),
        ("var/reports", str(scratch / "reports")),  # not into the checkout the test runs from
        ("HOOK_PORT=8099", f"HOOK_PORT={free_port()}"),
        ("var/posters", str(scratch / "posters")),
    ):
        assert fixed in text, fixed
        text = text.replace(fixed, ours)
    assert f"KEY={key}" in text
    return text


def test_every_example_runs_beside_the_demo_and_leaves_its_kiosks_whole(tmp_path: Path) -> None:
    api, mqtt, pg = free_port(), free_port(), free_port()
    var = tmp_path / "var"
    out = tmp_path / "demo.out"
    demo = start_demo(var, out, (api, mqtt, pg))
    try:
        assert wait_for(lambda: b"green/yellow/red" in out.read_bytes() or demo.poll() is not None, 180)
        key = re.search(r"API key \.+ (mlf_\S+)", out.read_text()).group(1)  # type: ignore[union-attr]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("COLLECTOR_", "KIOSK_"))}
        env["PATH"] = f"{ROOT / '.venv' / 'bin'}:{env.get('PATH', '')}"
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script_for(api, mqtt, pg, key, tmp_path)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=1200,
            check=False,
        )
        assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-6000:]
        said = done.stdout
        assert said.count("Everything was delivered.") >= 5, said  # newcomer, press, run twice, backfill
        assert "NOT everything was delivered" not in said
        assert '"instance":"3f2a9c64-1b7e-4d0a-8c55-0e9d7b6a4f21"' in said  # the example kiosk's own ack
        decoder = json.JSONDecoder()  # curl prints answers without a newline: read each where it starts
        overviews = [decoder.raw_decode(said, m.start())[0] for m in re.finditer(r'\{"generated_at"', said)]
        torino = [o for o in overviews if o["rows"] and o["rows"][0]["organisation"] == "torino"]
        assert torino[-1]["rows"][0]["flag"]["state"] == "below_target"
        assert "Grazie!" in said  # the rating page's form, posted as a browser without JavaScript does
        assert (tmp_path / "posters" / "torino-sportello-1.pdf").read_bytes().startswith(b"%PDF")
        channels = [
            decoder.raw_decode(said, m.start())[0] for m in re.finditer(r'\{"organisation":"torino","start"', said)
        ]
        figures = {c["channel"]: c["counts"] for c in channels[-1]["channels"]}
        assert figures["web"]["positive"] == 1
        assert figures["phone"]["negative"] == 1
        assert re.search(r"^torino-sportello-1 counter=\d+ phone=1 web=1$", said, re.M), said[-3000:]  # the overview
        history = [o for o in overviews if o["rows"] and o["rows"][0]["organisation"] == "sim"][-1]
        assert sum(r["total"] for r in history["rows"]) > 1000  # three months of the backfill, in that period

        fleet = get(f"http://127.0.0.1:{api}/v1/kiosks", key)
        assert [k["id"] for k in fleet if k["identity_conflict"]] == []  # nobody's id was used twice
        demo_kiosks = [k for k in fleet if k["organisation"] == "demo"]
        assert [k["id"] for k in demo_kiosks] == ["demo-k1", "demo-k2", "demo-k3"]
        assert all(k["service_point"] for k in demo_kiosks), demo_kiosks
        assert [k["id"] for k in fleet if k["open_gaps"]] == []
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGINT)  # Ctrl-C
        stopped_at = time.monotonic()
        try:
            demo.wait(90)
        finally:
            folders = [str((var / name).resolve()) for name in ("postgres", "mosquitto", "sim")]
            leftovers = left_behind([str(tmp_path), *folders, f"COLLECTOR_HTTP_PORT={api}"])
            for pid in leftovers:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(os.getpgid(pid), signal.SIGKILL)
    text = out.read_text()
    assert demo.returncode == 0, text
    assert time.monotonic() - stopped_at < 60, text
    assert leftovers == []
    assert "Everything was delivered." in text  # the demo's own kiosks, as they stopped
    for kiosk in ("demo-k1", "demo-k2", "demo-k3"):
        stats = peek(var / "sim" / kiosk / OUTBOX_FILE)
        assert stats is not None
        assert stats.delivered, (kiosk, stats)  # nothing unconfirmed left in the demo's outboxes
