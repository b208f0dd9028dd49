"""Zero-touch enrolment end to end: a real mosquitto that knows only the accounts the collector writes, a real
collector, and the real `mlf-kiosk-touch` program (headless) started with nothing but the collector's URL and
a code on its "boot partition" (a folder here).

The kiosk takes the code (the file goes), trades it for its identity, writes it (mode 0600), starts again as
an ordinary kiosk, and a citizen's presses on it are stored. The same code on a second device is refused as
used, and not tried again; an expired code is refused as expired; both with the collector's clear reason.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import psycopg

from devstack.mosquitto import LocalMosquitto
from kiosk.core.enrol import code_file
from kiosk.core.enrol.enroller import Enroller, EnrolState, Phase
from kiosk.core.enrol.settings import EnrolSettings
from tests.fixtures.fix_collector import CollectorProcess
from tests.fixtures.fix_kiosk import stored
from tests.fixtures.fix_secured import call
from tests.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]


def register(collector: CollectorProcess) -> None:
    call(collector, "POST", "/v1/organisations", {"id": "enrol", "name": "Comune di prova"})
    call(collector, "POST", "/v1/organisations/enrol/service-points", {"id": "enrol-sp", "name": "Sportello 1"})


def new_code(collector: CollectorProcess) -> dict[str, Any]:
    made: dict[str, Any] = call(
        collector, "POST", "/v1/organisations/enrol/enrolment-codes", {"service_point": "enrol-sp"}
    )
    return made


def enroller_outcome(settings: EnrolSettings, data_dir: Path, typed: str | None = None) -> EnrolState:
    """A second device's enroller against the real collector, until it has an answer."""
    enroller = Enroller(settings, data_dir)
    answered = threading.Event()
    outcome: list[EnrolState] = []

    def heard(state: EnrolState) -> None:
        if state.phase not in (Phase.WAITING, Phase.CHECKING):
            outcome.append(state)
            answered.set()

    enroller.add_listener(heard)
    enroller.start()
    if typed is not None:
        enroller.submit(typed)
    try:
        assert answered.wait(30), "no answer from the collector"
    finally:
        enroller.stop()
    return outcome[0]


def test_a_kiosk_with_only_a_code_enrols_and_its_presses_are_stored(
    secured_broker: LocalMosquitto, secured_collector: CollectorProcess, database_url: str, tmp_path: Path
) -> None:
    collector = secured_collector
    register(collector)
    code = new_code(collector)
    boot = tmp_path / "boot"
    boot.mkdir()
    (boot / "mlf-enrol.txt").write_text(code["qr_text"] + "\n")  # the QR's line, as an installer may paste it
    data_dir = tmp_path / "kiosk"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KIOSK_", "KIVY_"))}
    env |= {
        "SDL_VIDEODRIVER": "offscreen",
        "KIOSK_DATA_DIR": str(data_dir),
        "KIOSK_ENROL__URL": collector.url,
        "KIOSK_ENROL__CODE_FILE": str(boot / "mlf-enrol.txt"),
        "KIOSK_CLOCK_SYNCED": "yes",
        "KIOSK_RECONNECT_MIN_S": "0.2",
    }
    program = [sys.executable, "-m", "kiosk.touch.main", "--validate-config"]
    checked = subprocess.run(program, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert checked.returncode == 0, checked.stderr  # the systemd unit's ExecStartPre passes before enrolment
    assert "waiting for enrolment" in checked.stdout

    screens = tmp_path / "screens.json"
    driver = [sys.executable, "-m", "tests.e2e.touch_driver", "--keys", "1,3,0", "--gap", "3.5", "--out", str(screens)]
    with subprocess.Popen(
        [*driver, "--wait-config", "--", "--window", "800x480"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    ) as kiosk:
        try:
            _, stderr = kiosk.communicate(timeout=180)
        finally:
            kiosk.kill()
    assert kiosk.returncode == 0, stderr[-3000:]
    assert "Traceback" not in stderr, stderr[-3000:]
    assert "enrolled as kiosk enrol-sp-k1" in stderr

    assert not (boot / "mlf-enrol.txt").exists()  # taken once: not on the boot partition any more
    assert not (data_dir / code_file.TAKEN).exists()  # and spent
    identity = data_dir / "identity.json"
    assert stat.S_IMODE(identity.stat().st_mode) == 0o600
    assert json.loads(identity.read_text())["kiosk"] == "enrol-sp-k1"
    seen = json.loads(screens.read_text())
    assert [s["screen"] for s in seen][:3] == ["idle", "idle", "reason"]  # a face, then red and its reasons
    assert seen[0]["faces"] == ["Positivo", "Sufficiente", "Negativo"]
    assert len(stored(database_url, "enrol-sp-k1")) == 2  # the watermark covered both before the driver stopped
    with psycopg.connect(database_url) as conn:
        faces = conn.execute("SELECT face::text FROM ratings WHERE kiosk_id = 'enrol-sp-k1' ORDER BY seq").fetchall()
        audit = conn.execute("SELECT outcome, kiosk_id FROM enrolment_audit").fetchall()
    assert [f for (f,) in faces] == ["positive", "negative"]
    assert audit == [("enrolled", "enrol-sp-k1")]

    # The same code on a second device (a copied card): refused as used, kept aside, not tried again.
    second_boot = tmp_path / "boot-2"
    second_boot.mkdir()
    (second_boot / "mlf-enrol.txt").write_text(code["code"] + "\n")
    settings = EnrolSettings(url=collector.url, code_file=second_boot / "mlf-enrol.txt", retry_s=1)
    second = tmp_path / "kiosk-2"
    state = enroller_outcome(settings, second)
    assert (state.phase, state.kind) == (Phase.REFUSED, "enrolment-code-used")
    assert "was used on" in state.detail
    assert not (second / "identity.json").exists()
    assert (second / code_file.REFUSED).exists()
    (second_boot / "mlf-enrol.txt").write_text(code["code"] + "\n")  # put back: still not tried again
    assert code_file.take(settings.code_file, second) is None


def test_expired_and_unknown_codes_are_refused_with_their_reason(
    secured_broker: LocalMosquitto, secured_collector: CollectorProcess, database_url: str, tmp_path: Path
) -> None:
    collector = secured_collector
    register(collector)
    expired = new_code(collector)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            "UPDATE enrolment_codes SET created_at = now() - interval '8 days', expires_at = now() - interval '1 day'"
            " WHERE id = %s",
            (expired["id"],),
        )
    settings = EnrolSettings(url=collector.url, code_file=tmp_path / "none.txt")
    state = enroller_outcome(settings, tmp_path / "a", typed=expired["code"])
    assert (state.phase, state.kind) == (Phase.REFUSED, "enrolment-code-expired")
    state = enroller_outcome(settings, tmp_path / "b", typed="9999 9999 9999 9999")
    assert (state.phase, state.kind) == (Phase.REFUSED, "enrolment-code-unknown")
    state = enroller_outcome(settings, tmp_path / "c", typed="99999")
    assert state.phase is Phase.INVALID
    unreachable = EnrolSettings(url="https://127.0.0.1:9", code_file=tmp_path / "none.txt", retry_s=60)
    state = enroller_outcome(unreachable, tmp_path / "d", typed=new_code(collector)["code"])
    assert state.phase is Phase.RETRYING
    assert not (tmp_path / "d" / "identity.json").exists()


def test_the_button_kiosk_waits_without_publishing_then_enrols_from_its_boot_partition(
    secured_broker: LocalMosquitto, secured_collector: CollectorProcess, tmp_path: Path
) -> None:
    """The real `kiosk-buttons` program (gpiozero's mock pins): no identity, no crash, nothing sent; a code
    dropped on the boot partition later makes it an ordinary kiosk, online at the collector."""
    collector = secured_collector
    register(collector)
    boot = tmp_path / "boot"
    boot.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KIOSK_", "GPIOZERO_"))}
    env |= {
        "GPIOZERO_PIN_FACTORY": "mock",
        "KIOSK_GPIO__PWM": "false",
        "KIOSK_DATA_DIR": str(tmp_path / "kiosk"),
        "KIOSK_ENROL__URL": collector.url,
        "KIOSK_ENROL__CODE_FILE": str(boot / "mlf-enrol.txt"),
        "KIOSK_CLOCK_SYNCED": "yes",
        "KIOSK_RECONNECT_MIN_S": "0.2",
    }
    log = tmp_path / "kiosk.log"
    with (
        log.open("w") as out,
        subprocess.Popen(
            [sys.executable, "-m", "kiosk.buttons.main"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        ) as kiosk,
    ):
        try:
            assert wait_for(lambda: "waiting for an enrolment code" in log.read_text(), timeout=30), log.read_text()
            time.sleep(3)
            assert kiosk.poll() is None, log.read_text()
            assert collector.get("/v1/kiosks") == []  # nothing published, nobody registered
            (boot / "mlf-enrol.txt").write_text(new_code(collector)["code"] + "\n")

            def online() -> bool:
                return [(k["id"], k["online"]) for k in collector.get("/v1/kiosks")] == [("enrol-sp-k1", True)]

            assert wait_for(online, timeout=60), log.read_text()
            assert not (boot / "mlf-enrol.txt").exists()
            kiosk.terminate()
            assert kiosk.wait(30) == 0
        finally:
            kiosk.kill()
    assert "Traceback" not in log.read_text()
