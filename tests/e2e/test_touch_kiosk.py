"""End to end: the `mlf-kiosk-touch` process (headless), a real mosquitto and the collector; a touch reaches the API.

The kiosk runs as users run it (its own process, settings from the environment); the touch is a
key press on its window ("3", then "2" for the second reason), exactly what a keypad sends.
The first run's press registers the kiosk at the collector; the second presses red and the second
of the reasons it has (the default list).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from devstack.mosquitto import LocalMosquitto
from tests.fixtures.fix_collector import CollectorProcess
from tests.waiting import wait_for

DRIVE = """
import os, sys
from kiosk.touch import main as touch_main
from kivy.clock import Clock

WAIT_CONFIG = False  # the default reasons until the collector's list arrives

def press(_dt):
    from kivy.core.window import Window
    from kivy.app import App
    app = App.get_running_app()
    if not app.online or (WAIT_CONFIG and app.kiosk.flow_config().revision is None):
        Clock.schedule_once(press, 0.2)  # wait for the broker and the collector's configuration
        return
    for key in (51, 50):  # "3": the red face; "2": the second reason
        Window.dispatch("on_key_down", key, 0, None, [])
    Clock.schedule_once(lambda _dt: app.stop(), 3)

Clock.schedule_once(press, 0.5)
sys.exit(touch_main.main(["--window", "800x480"]))
"""


def test_a_touch_reaches_the_api(
    broker: LocalMosquitto, start_collector: Callable[..., CollectorProcess], tmp_path: Path
) -> None:
    collector = start_collector()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    env |= {
        "SDL_VIDEODRIVER": "offscreen",
        "KIVY_HOME": tempfile.mkdtemp(prefix="mlf-kivy-e2e-"),
        "KIOSK_KIOSK_ID": "e2e-touch",
        "KIOSK_ORGANISATION": "e2e",
        "KIOSK_SERVICE_POINT": "e2e-sportello-1",
        "KIOSK_SERVICE": "anagrafe",
        "KIOSK_DATA_DIR": str(tmp_path / "kiosk"),
        "KIOSK_MQTT_PORT": str(broker.port),
        "KIOSK_CLOCK_SYNCED": "yes",
        "KIOSK_RECONNECT_MIN_S": "0.2",
    }
    # The first rating registers the kiosk (auto-register); its configuration follows on the config topic.
    first = DRIVE.replace("(51, 50)", "(49,)")
    subprocess.run([sys.executable, "-c", first], env=env, check=True, timeout=120)
    done = subprocess.run([sys.executable, "-c", DRIVE], env=env, timeout=120, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]

    def summary() -> dict[str, int] | None:
        body = collector.get_or_none("/v1/service-points/e2e-sportello-1/summary")
        return body["counts"] if body and sum(body["counts"].values()) >= 2 else None

    counts = wait_for(summary, timeout=30)
    assert counts is not None
    assert (counts["positive"], counts["neutral"], counts["negative"]) == (1, 0, 1)
    ranking = collector.get("/v1/organisations/e2e/reasons/ranking")
    assert [(r["code"], r["count"]) for r in ranking["reasons"] if r["count"]] == [("staff-courtesy", 1)]
