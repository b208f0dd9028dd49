"""The README's touch kiosk block, run as written against the running demo (`mlf-demo`), on ports of its own.

The demo is started as `./scripts/demo.sh` starts it; as soon as it says it is up, the block runs
with the ports and the kiosk's folder replaced, and with one more change: the kiosk's window is the
real program driven by `tests.e2e.touch_driver`, which presses service 2, the red face and reason 1
on the keypad instead of a person.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
from pathlib import Path

from tests.e2e.demo_process import running_demo

ROOT = Path(__file__).resolve().parents[2]
KIOSK_COMMAND = ".venv/bin/mlf-kiosk-touch --window 800x480"


def touch_block() -> str:
    text = (ROOT / "README.md").read_text()
    match = re.search(r"<!-- BEGIN touch.*?-->\n```sh\n(.*?)```\n<!-- END touch -->", text, re.S)
    assert match, "the README lost its touch kiosk block"
    return match.group(1)


def test_the_readme_touch_kiosk_joins_the_demo(tmp_path: Path) -> None:
    screens = tmp_path / "screens.json"
    driver = f".venv/bin/python -m tests.e2e.touch_driver --keys 2,3,1 --out {screens} --wait-config --"
    block = touch_block()
    assert block.count(KIOSK_COMMAND) == 1
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COLLECTOR_", "KIOSK_", "KIVY_"))}
    env["SDL_VIDEODRIVER"] = "offscreen"  # Kivy's home: the program's default, in the kiosk's (new) folder
    with running_demo(tmp_path) as demo:
        script = (
            block.replace("127.0.0.1:15432", f"127.0.0.1:{demo.pg}")
            .replace("http://127.0.0.1:8000", f"http://127.0.0.1:{demo.api}")
            .replace("KIOSK_MQTT_PORT=11883", f"KIOSK_MQTT_PORT={demo.mqtt}")
            .replace("KIOSK_DATA_DIR=var/touch-kiosk", f"KIOSK_DATA_DIR={tmp_path / 'touch-kiosk'}")
            .replace(KIOSK_COMMAND, f"{driver} --window 800x480")
        )
        for default in ("127.0.0.1:15432", "127.0.0.1:8000", "=11883", "var/touch-kiosk", KIOSK_COMMAND):
            assert default not in script, f"{default} left in the block"
        demo.wait_for("The system is up.")
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
        )
        assert demo.interrupt() == 0, demo.text()
    assert done.returncode == 0, done.stderr[-3000:] + done.stdout[-3000:]
    assert "Traceback" not in demo.text()

    idle, face, reason, thanks = json.loads(screens.read_text())
    assert idle["tiles"] == ["Anagrafe", "Carta d'identità"]  # the names the demo registered
    assert idle["languages"] == ["Italiano", "English", "Français", "Deutsch", "Español"]
    assert (face["screen"], face["service"]) == ("face", "Carta d'identità")
    assert reason["tiles"][0] == "Tempo di attesa"  # the demo organisation's default reasons
    assert thanks["screen"] == "thank_you"
    lines = done.stdout[done.stdout.index("event_id") :]
    rows = list(csv.DictReader(io.StringIO(lines)))
    assert [(r["kiosk_id"], r["service_point"], r["face"], r["service"], r["reason"]) for r in rows] == [
        ("demo-touch-1", "demo-sportello-1", "negative", "carta-identita", "waiting-time")
    ]
