"""Local settings: TOML file + environment, secrets from files, and errors that point at the culprit."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.buttons.main import main
from kiosk.buttons.settings import ButtonKioskSettings
from kiosk.core.config_file import SettingsError, load_settings

GOOD = """\
kiosk_id = "roma-anagrafe-k1"
organisation = "roma"
service_point = "roma-anagrafe-sportello-3"
data_dir = "/var/lib/mlf-kiosk"
mqtt_host = "broker.example"
cooldown_s = 4

[gpio]
status_led = 19
reason_buttons = [23, 24]
reason_leds = [12, 20]
"""


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for key in list(os.environ):
        if key.startswith("KIOSK_") or key == "CREDENTIALS_DIRECTORY":
            monkeypatch.delenv(key)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_file_then_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, GOOD)
    monkeypatch.setenv("KIOSK_COOLDOWN_S", "5")
    monkeypatch.setenv("KIOSK_GPIO__BUZZER", "26")
    settings = load_settings(ButtonKioskSettings, path)
    assert settings.kiosk_id == "roma-anagrafe-k1"
    assert settings.cooldown_s == 5  # the environment wins over the file
    assert settings.gpio.reason_buttons == [23, 24]
    assert settings.gpio.status_led == 19
    assert settings.gpio.buzzer == 26
    assert settings.outbox_path == Path("/var/lib/mlf-kiosk/outbox.sqlite3")


def test_config_file_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIOSK_CONFIG_FILE", str(write(tmp_path, GOOD)))
    assert load_settings(ButtonKioskSettings).organisation == "roma"


def test_bad_value_in_the_file_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("cooldown_s = 4", "cooldown_s = -1"))
    with pytest.raises(SettingsError) as exc:
        load_settings(ButtonKioskSettings, path)
    assert exc.value.problems == [f"{path}:6: cooldown_s: Input should be greater than or equal to 0"]


def test_bad_value_in_a_table_names_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("status_led = 19", "status_led = 23"))
    with pytest.raises(SettingsError) as exc:
        load_settings(ButtonKioskSettings, path)
    assert "GPIO 23 is wired to more than one part" in str(exc.value)


def test_unknown_key_in_a_table_names_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD + "positve_button = 4\n")
    with pytest.raises(SettingsError) as exc:
        load_settings(ButtonKioskSettings, path)
    assert exc.value.problems == [f"{path}:12: gpio.positve_button: Extra inputs are not permitted"]


def test_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace('mqtt_host = "broker.example"', "mqtt_host = broker.example"))
    with pytest.raises(SettingsError, match=r"not valid TOML: .*line 5"):
        load_settings(ButtonKioskSettings, path)


def test_bad_environment_variable_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIOSK_MQTT_PORT", "99999")
    with pytest.raises(SettingsError) as exc:
        load_settings(ButtonKioskSettings, write(tmp_path, GOOD))
    assert exc.value.problems == ["KIOSK_MQTT_PORT (environment): Input should be less than or equal to 65535"]


def test_misspelt_environment_variable_is_not_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIOSK_MQTT_HOTS", "x")
    with pytest.raises(
        SettingsError, match=r"KIOSK_MQTT_HOTS \(environment\): unknown setting \(did you mean KIOSK_MQTT_HOST"
    ):
        load_settings(ButtonKioskSettings, write(tmp_path, GOOD))


def test_missing_required_settings_say_where_to_set_them(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as exc:
        load_settings(ButtonKioskSettings, write(tmp_path, "organisation = 'roma'\n"))
    assert f"kiosk_id: required: set it in {tmp_path / 'kiosk.toml'} or as KIOSK_KIOSK_ID" in exc.value.problems


def test_password_from_a_systemd_credential(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "mqtt-password").write_text("s3cr3t-kiosk\n")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(creds))
    assert load_settings(ButtonKioskSettings, write(tmp_path, GOOD)).password() == "s3cr3t-kiosk"


@pytest.mark.parametrize("placeholder", ["changeme", "CHANGE_ME", "change-me-please", "secret"])
def test_placeholder_password_is_refused(tmp_path: Path, placeholder: str) -> None:
    """The collector's rule (envcheck): what example files hold is refused by kiosks too."""
    secret = tmp_path / "pw"
    secret.write_text(placeholder)
    with pytest.raises(SettingsError, match="placeholder"):
        load_settings(ButtonKioskSettings, write(tmp_path, GOOD + ""), mqtt_password_file=secret)


def test_unreadable_password_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"cannot read the MQTT password file .*missing"):
        load_settings(ButtonKioskSettings, write(tmp_path, GOOD), mqtt_password_file=tmp_path / "missing")


def test_validate_config_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = write(tmp_path, GOOD)
    assert main(["--config", str(good), "--validate-config"]) == 0
    assert "configuration is valid (kiosk roma-anagrafe-k1, broker broker.example:1883)" in capsys.readouterr().out
    good.write_text(GOOD.replace("cooldown_s = 4", "cooldown_s = 'soon'"))
    assert main(["--config", str(good), "--validate-config"]) == 2
    err = capsys.readouterr().err
    assert f"{good}:6: cooldown_s: Input should be a valid number" in err


def test_print_legend_is_italian_first_then_english(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--print-legend"]) == 0
    out = capsys.readouterr().out
    assert out.index("## Come funziona") < out.index("## How it works")
    assert "il voto è registrato" in out
    assert "your vote is recorded" in out
