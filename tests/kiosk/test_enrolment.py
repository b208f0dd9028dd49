"""The kiosk's side of enrolment without the network: reading what was typed or scanned, the boot
partition's code taken once, the identity written whole with mode 0600 and read with the settings, the
program's start with and without an identity, HTTPS required, and the button kiosk's waiting lights."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest
from gpiozero.pins.mock import MockFactory

from kiosk.buttons.main import main as buttons_main
from kiosk.buttons.settings import ButtonKioskSettings, GpioWiring
from kiosk.buttons.waiting import WaitingLights
from kiosk.core.config_file import SettingsError, load_settings
from kiosk.core.enrol import boot, client, code_file
from kiosk.core.enrol.enroller import Enroller, EnrolState, Phase
from kiosk.core.enrol.identity import write_identity
from kiosk.core.enrol.settings import EnrolSettings
from protocol.enrolment import Enrolment, MqttAccess, parse_entry, qr_text

CODE = "1234567890123456"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("KIOSK_") or name == "CREDENTIALS_DIRECTORY":
            monkeypatch.delenv(name)


def enrolment(ca_pem: str | None = None) -> Enrolment:
    mqtt = MqttAccess(host="mqtt.comune.example", port=8883, tls=True, ca_pem=ca_pem, username="roma-k1",
                      password="s3cret-from-the-collector-0123", client_id="roma-k1")  # fmt: skip
    return Enrolment(kiosk="roma-k1", organisation="roma", service_point="roma-sp", mqtt=mqtt)


@pytest.mark.parametrize(
    ("typed", "code", "url"),
    [
        (CODE, CODE, None),
        ("1234-5678-9012-3456", CODE, None),
        (" 1234 5678 9012 3456\n", CODE, None),
        (qr_text(CODE, "https://collector.comune.example/"), CODE, "https://collector.comune.example"),
        ("MLF-ENROL 1234-5678-9012-3456 httpsÖ--garbled", CODE, None),  # a scanner on another keyboard layout
        ("1234-5678-9012", None, None),
        ("MLF-ENROL https://collector.example", None, "https://collector.example"),
    ],
)
def test_what_was_typed_or_scanned(typed: str, code: str | None, url: str | None) -> None:
    assert parse_entry(typed) == (code, url)


def test_the_boot_partition_code_is_taken_once(tmp_path: Path) -> None:
    boot_file, data = tmp_path / "boot" / "mlf-enrol.txt", tmp_path / "data"
    boot_file.parent.mkdir()
    assert code_file.take(boot_file, data) is None
    boot_file.write_text(CODE + "\n")
    assert code_file.take(boot_file, data) == CODE
    assert not boot_file.exists()
    assert stat.S_IMODE((data / code_file.TAKEN).stat().st_mode) == 0o600
    assert code_file.take(boot_file, data) == CODE  # still waiting in the data folder (a restart)
    code_file.refused(data)
    boot_file.write_text(CODE + "\n")
    assert code_file.take(boot_file, data) is None  # the refused one is not tried again
    boot_file.write_text("6543210987654321\n")
    assert code_file.take(boot_file, data) == "6543210987654321"  # a new one is
    code_file.spent(data)
    assert not (data / code_file.TAKEN).exists()


def test_the_identity_is_written_privately_and_read_with_the_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    image = tmp_path / "kiosk.toml"
    image.write_text(f'data_dir = "{data}"\nmqtt_host = "image.example"\n[enrol]\nurl = "https://c.example"\n')
    settings, waiting = boot.load(ButtonKioskSettings, image)
    assert waiting
    assert settings.kiosk_id == boot.UNENROLLED
    path = write_identity(data, enrolment(ca_pem="-----BEGIN CERTIFICATE-----\n...\n"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not list(data.glob(".*"))  # no temporary file left
    settings, waiting = boot.load(ButtonKioskSettings, image)
    assert not waiting
    assert (settings.kiosk_id, settings.organisation, settings.service_point) == ("roma-k1", "roma", "roma-sp")
    assert (settings.mqtt_host, settings.mqtt_port, settings.mqtt_tls) == ("mqtt.comune.example", 8883, True)
    assert settings.password() == "s3cret-from-the-collector-0123"
    assert settings.mqtt_ca_file == data / "mqtt-ca.pem"
    assert (data / "mqtt-ca.pem").read_text().startswith("-----BEGIN CERTIFICATE-----")
    monkeypatch.setenv("KIOSK_MQTT_PORT", "18883")  # the environment still wins
    assert load_settings(ButtonKioskSettings, image).mqtt_port == 18883
    path.write_text("{not json")
    with pytest.raises(SettingsError, match="remove it to enrol again"):
        boot.load(ButtonKioskSettings, image)


def test_only_a_missing_identity_means_waiting(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    image = tmp_path / "kiosk.toml"
    image.write_text(f'data_dir = "{tmp_path}"\ncooldown_s = -1\n')
    with pytest.raises(SettingsError, match="cooldown_s"):
        boot.load(ButtonKioskSettings, image)  # a real mistake is never taken for "not enrolled yet"
    image.write_text(f'data_dir = "{tmp_path}"\nkiosk_id = "roma-k1"\n')
    with pytest.raises(SettingsError, match="organisation"):
        boot.load(ButtonKioskSettings, image)  # half an identity is a mistake too
    image.write_text(f'data_dir = "{tmp_path}"\n[enrol]\nurl = "https://collector.example"\n')
    assert buttons_main(["--config", str(image), "--validate-config"]) == 0
    out = capsys.readouterr().out
    assert "waiting for enrolment" in out
    assert "https://collector.example" in out
    image.write_text(f'data_dir = "{tmp_path}"\n[enrol]\nurl = "ftp://collector.example"\n')
    assert buttons_main(["--config", str(image), "--validate-config"]) == 2


def test_take_enrol_code_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    boot_file = tmp_path / "mlf-enrol.txt"
    boot_file.write_text(CODE)
    image = tmp_path / "kiosk.toml"
    image.write_text(f'data_dir = "{tmp_path / "data"}"\n[enrol]\ncode_file = "{boot_file}"\n')
    assert buttons_main(["--config", str(image), "--take-enrol-code"]) == 0
    assert "taken" in capsys.readouterr().out
    assert not boot_file.exists()
    assert (tmp_path / "data" / code_file.TAKEN).read_text().strip() == CODE


def test_https_is_required_except_on_this_machine() -> None:
    client.check_url("https://collector.comune.example")
    client.check_url("http://127.0.0.1:8000")
    client.check_url("http://localhost:8000/")
    client.check_url("http://[::1]:8000")
    with pytest.raises(ValueError, match="needs https"):
        client.check_url("http://collector.comune.example")
    with pytest.raises(ValueError, match="needs https"):
        client.check_url("http://10.0.0.5:8000")


def test_the_enroller_retries_while_the_collector_is_unreachable(tmp_path: Path) -> None:
    """The network is the one thing replaced here (tests/e2e/test_enrolment.py has the real collector)."""
    answers: list[Exception | Enrolment] = [client.NotNow("cannot reach it", retry_after_s=0.1), enrolment()]
    asked: list[tuple[str, str]] = []

    def redeem(url: str, code: str, _ca: Path | None) -> Enrolment:
        asked.append((url, code))
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    states: list[EnrolState] = []
    enroller = Enroller(EnrolSettings(url="https://c.example", code_file=tmp_path / "none"), tmp_path, redeem)
    enroller.add_listener(states.append)
    enroller.start()
    enroller.submit(qr_text(CODE, "https://other.example"))
    assert enroller.done.wait(15)
    enroller.stop()
    assert asked == [("https://c.example", CODE)] * 2  # the configured collector wins over the QR's
    assert [s.phase for s in states] == [Phase.CHECKING, Phase.RETRYING, Phase.CHECKING, Phase.ENROLLED]
    assert (tmp_path / "identity.json").exists()


def test_the_button_kiosk_chases_its_lights_while_it_waits() -> None:
    factory = MockFactory()
    lights = WaitingLights(GpioWiring(), pin_factory=factory)
    try:
        patterns = set()
        for _ in range(12):
            patterns.add(tuple(lights.pattern))
            time.sleep(0.1)
        assert patterns <= {(True, False, False), (False, True, False), (False, False, True)}
        assert len(patterns) >= 2  # it moves: one light at a time, round and round
        lights.show(EnrolState(Phase.CHECKING))
        time.sleep(0.5)
        assert lights.pattern == [True, True, True]
    finally:
        lights.close()


def test_units_take_the_code_as_root_and_the_image_needs_no_password_file() -> None:
    systemd = Path(__file__).resolve().parents[2] / "deploy" / "systemd"
    for unit, program in (("kiosk-buttons.service", "kiosk-buttons"), ("kiosk-touch.service", "mlf-kiosk-touch")):
        pre = [line for line in (systemd / unit).read_text().splitlines() if line.startswith("ExecStartPre=")]
        config = "--config /etc/mlf-kiosk/kiosk.toml"
        assert pre == [  # the code moved first, as root (+); then the settings checked, as the kiosk
            f"ExecStartPre=+/opt/mlf-kiosk/venv/bin/{program} {config} --take-enrol-code",
            f"ExecStartPre=/opt/mlf-kiosk/venv/bin/{program} {config} --validate-config",
        ]
    drop_in = (systemd / "kiosk-enrolment.conf").read_text().splitlines()
    assert "LoadCredential=" in drop_in  # resets the unit's: no /etc/mlf-kiosk/mqtt-password on the image
