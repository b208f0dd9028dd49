"""End to end: the `mlf-kiosk-touch` process (headless), a real mosquitto and the collector.

An administrator registers the organisation, its services, its own reasons list and the kiosk
through the API, as an office would; the kiosk, started with nothing but its id and broker, shows
what the collector sent (its services, its reasons, its two languages), a citizen presses the
second service, the red face and the second reason on a keypad, and the API has that rating with
that face, service and reason.

(A kiosk that only auto-registers by sending ratings never gets a configuration: its first
message, the heartbeat, names no service point, so the collector files it without one, and only
kiosks with a service point get a config. That is why an office registers kiosks first.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from devstack.mosquitto import LocalMosquitto
from tests.fixtures.fix_collector import CollectorProcess

ROOT = Path(__file__).resolve().parents[2]


def register(collector: CollectorProcess) -> None:
    """What an office does once: organisation, counter, services, its reasons, the kiosk and its settings."""
    collector.send("POST", "/v1/organisations", {"id": "e2e", "name": "Comune di prova"})
    collector.send("POST", "/v1/organisations/e2e/service-points", {"id": "e2e-sportello-1", "name": "Sportello 1"})
    for sid, name, name_en in (("anagrafe", "Anagrafe", "Registry office"), ("cie", "Carta d'identità", "ID card")):
        collector.send("POST", "/v1/organisations/e2e/services", {"id": sid, "name": name, "name_en": name_en})
    reasons = [
        {"code": "waiting-time", "label_it": "Tempo di attesa", "label_en": "Waiting time"},
        {"code": "opening-hours", "label_it": "Orari di apertura", "label_en": "Opening hours"},
    ]
    collector.send("PUT", "/v1/organisations/e2e/reasons", {"reasons": reasons})
    collector.send("POST", "/v1/kiosks", {"id": "e2e-touch", "service_point": "e2e-sportello-1"})
    settings = {"services": ["anagrafe", "cie"], "languages": ["it", "en"], "cooldown_s": 3}
    assert collector.send("PUT", "/v1/kiosks/e2e-touch/settings", settings)["config_revision"] >= 1


def test_remote_config_reaches_the_screen_and_a_touch_reaches_the_api(
    broker: LocalMosquitto, start_collector: Callable[..., CollectorProcess], tmp_path: Path
) -> None:
    collector = start_collector()
    register(collector)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KIOSK_", "KIVY_"))}
    env |= {
        "SDL_VIDEODRIVER": "offscreen",  # Kivy's home: the program's default, in its (new) data folder
        "KIOSK_KIOSK_ID": "e2e-touch",
        "KIOSK_ORGANISATION": "e2e",
        "KIOSK_SERVICE_POINT": "e2e-sportello-1",
        "KIOSK_DATA_DIR": str(tmp_path / "kiosk"),
        "KIOSK_MQTT_PORT": str(broker.port),
        "KIOSK_CLOCK_SYNCED": "yes",
        "KIOSK_RECONNECT_MIN_S": "0.2",
    }
    screens = tmp_path / "screens.json"
    driver = [sys.executable, "-m", "tests.e2e.touch_driver", "--keys", "2,3,2", "--out", str(screens)]
    done = subprocess.run(
        [*driver, "--wait-config", "--", "--window", "800x480"],
        cwd=ROOT,
        env=env,
        timeout=120,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-3000:]

    idle, face, reason, thanks = json.loads(screens.read_text())
    assert idle["config_revision"] is not None  # the collector's, not the local settings
    assert idle["screen"] == "idle"
    assert idle["question"] == "Quale servizio ha usato oggi?"
    assert idle["tiles"] == ["Anagrafe", "Carta d'identità"]
    assert idle["languages"] == ["Italiano", "English"]
    assert (face["screen"], face["service"]) == ("face", "Carta d'identità")
    assert face["faces"] == ["Positivo", "Sufficiente", "Negativo"]
    assert reason["screen"] == "reason"
    assert reason["tiles"] == ["Tempo di attesa", "Orari di apertura", "Salta  \u203a"]
    assert thanks["screen"] == "thank_you"

    # The driver stopped the kiosk once the collector had acknowledged the rating: it is stored.
    counts = collector.get("/v1/service-points/e2e-sportello-1/summary")["counts"]
    assert counts == {"positive": 0, "neutral": 0, "negative": 1}
    period = f"from={date.today() - timedelta(days=1)}&to={date.today() + timedelta(days=2)}"
    rows = [json.loads(line) for line in collector.text(f"/v1/exports/ratings?org=e2e&{period}").splitlines()]
    assert [(r["kiosk_id"], r["face"], r["service"], r["reason"]) for r in rows] == [
        ("e2e-touch", "negative", "cie", "opening-hours")
    ]
    ranking = collector.get("/v1/organisations/e2e/reasons/ranking")
    assert [(r["code"], r["count"]) for r in ranking["reasons"] if r["count"]] == [("opening-hours", 1)]
