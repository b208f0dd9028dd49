"""End to end: the `mlf-kiosk-touch` process (headless), a real mosquitto and the collector.

An administrator registers the organisation, its services, its own reasons list and the kiosk
through the API, as an office would; the kiosk, started with nothing but its id and broker, shows
what the collector sent (its services, its reasons, its two languages), a citizen presses the
second service, the red face and the second reason on a keypad, and the API has that rating with
that face, service and reason. Then, while the kiosk runs, the office changes its settings (one
service, three languages) and its reasons list: the screen shows them without a restart, and the
next citizen's rating carries the new service and reason.

(A kiosk that only auto-registers by sending ratings never gets a configuration: its first
message, the heartbeat, names no service point, so the collector files it without one, and only
kiosks with a service point get a config. That is why an office registers kiosks first.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from devstack.mosquitto import LocalMosquitto
from tests.fixtures.fix_collector import CollectorProcess

ROOT = Path(__file__).resolve().parents[2]
REASONS = [
    {"code": "waiting-time", "label_it": "Tempo di attesa", "label_en": "Waiting time"},
    {"code": "opening-hours", "label_it": "Orari di apertura", "label_en": "Opening hours"},
]
NEW_REASON = {"code": "parking", "label_it": "Parcheggio", "label_en": "Parking"}


def change_while_running(collector: CollectorProcess) -> int:
    """The office's second thoughts: one more reason, one service, three languages; the revision it makes."""
    collector.send("PUT", "/v1/organisations/e2e/reasons", {"reasons": [*REASONS, NEW_REASON]})
    settings = {"services": ["anagrafe"], "languages": ["it", "en", "de"], "cooldown_s": 3}
    revision = collector.send("PUT", "/v1/kiosks/e2e-touch/settings", settings)["config_revision"]
    assert isinstance(revision, int)
    return revision


def screens_seen(path: Path, count: int, kiosk: subprocess.Popen[str], timeout: float = 90) -> list[Any]:
    """The driver's screens once it has written `count` of them (it waits at `@`)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert kiosk.poll() is None, kiosk.communicate()[1][-3000:]
        if path.exists() and len(seen := json.loads(path.read_text())) >= count:
            return list(seen)
        time.sleep(0.2)
    raise AssertionError(f"the kiosk did not reach screen {count} in {timeout} s")


def register(collector: CollectorProcess) -> None:
    """What an office does once: organisation, counter, services, its reasons, the kiosk and its settings."""
    collector.send("POST", "/v1/organisations", {"id": "e2e", "name": "Comune di prova"})
    collector.send("POST", "/v1/organisations/e2e/service-points", {"id": "e2e-sportello-1", "name": "Sportello 1"})
    for sid, name, name_en in (("anagrafe", "Anagrafe", "Registry office"), ("cie", "Carta d'identità", "ID card")):
        collector.send("POST", "/v1/organisations/e2e/services", {"id": sid, "name": name, "name_en": name_en})
    collector.send("PUT", "/v1/organisations/e2e/reasons", {"reasons": REASONS})
    collector.send("POST", "/v1/kiosks", {"id": "e2e-touch", "service_point": "e2e-sportello-1"})
    settings = {"services": ["anagrafe", "cie"], "languages": ["it", "en"], "cooldown_s": 3}
    assert collector.send("PUT", "/v1/kiosks/e2e-touch/settings", settings)["config_revision"] >= 1


def test_remote_config_reaches_the_running_screen_and_touches_reach_the_api(
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
    driver = [sys.executable, "-m", "tests.e2e.touch_driver", "--keys", "2,3,2,@,3,3", "--out", str(screens)]
    with subprocess.Popen(
        [*driver, "--wait-config", "--", "--window", "800x480"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    ) as kiosk:
        try:
            before = screens_seen(screens, 4, kiosk)
            revision = change_while_running(collector)
            Path(f"{screens}.revision").write_text(str(revision))
            _, stderr = kiosk.communicate(timeout=120)
        finally:
            kiosk.kill()
    assert kiosk.returncode == 0, stderr[-3000:]
    assert "Traceback" not in stderr, stderr[-3000:]

    seen = json.loads(screens.read_text())
    assert seen[:4] == before
    idle, face, reason, thanks, idle_after, reason_after, thanks_after = seen
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

    # The same running kiosk, on the new configuration: one service, so the faces come first.
    assert (idle_after["screen"], idle_after["config_revision"]) == ("idle", revision)
    assert idle_after["question"] == "Come valuta il servizio ricevuto?"
    assert idle_after["tiles"] == []
    assert idle_after["faces"] == ["Positivo", "Sufficiente", "Negativo"]
    assert idle_after["languages"] == ["Italiano", "English", "Deutsch"]
    assert reason_after["screen"] == "reason"
    assert reason_after["tiles"] == ["Tempo di attesa", "Orari di apertura", "Parcheggio", "Salta  \u203a"]
    assert thanks_after["screen"] == "thank_you"

    # The driver stopped the kiosk once the collector had acknowledged both ratings: they are stored.
    counts = collector.get("/v1/service-points/e2e-sportello-1/summary")["counts"]
    assert counts == {"positive": 0, "neutral": 0, "negative": 2}
    period = f"from={date.today() - timedelta(days=1)}&to={date.today() + timedelta(days=2)}"
    rows = [json.loads(line) for line in collector.text(f"/v1/exports/ratings?org=e2e&{period}").splitlines()]
    assert sorted((r["kiosk_id"], r["face"], r["service"], r["reason"]) for r in rows) == [
        ("e2e-touch", "negative", "anagrafe", "parking"),
        ("e2e-touch", "negative", "cie", "opening-hours"),
    ]
    ranking = collector.get("/v1/organisations/e2e/reasons/ranking")
    assert sorted((r["code"], r["count"]) for r in ranking["reasons"] if r["count"]) == [
        ("opening-hours", 1),
        ("parking", 1),
    ]
