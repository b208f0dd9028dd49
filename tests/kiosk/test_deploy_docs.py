"""deploy/: the Raspberry Pi notes, the example settings and the systemd unit agree with the code."""

from __future__ import annotations

import configparser
from pathlib import Path

import pytest

from kiosk.buttons.docs import EXAMPLE_WIRING, README, render
from kiosk.buttons.settings import ButtonKioskSettings
from kiosk.core.config_file import load_settings
from kiosk.core.settings import CREDENTIAL_NAME

DEPLOY = README.parents[1]


def test_readme_generated_parts_are_current() -> None:
    text = README.read_text(encoding="utf-8")
    assert render(text) == text, "deploy/kiosk/README.md drifted: run `python -m kiosk.buttons.docs`"


def test_example_settings_are_valid_and_wired_as_documented(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for key in [k for k in os.environ if k.startswith("KIOSK_")]:
        monkeypatch.delenv(key)
    settings = load_settings(ButtonKioskSettings, DEPLOY / "kiosk" / "kiosk.example.toml")
    assert settings.gpio == EXAMPLE_WIRING
    assert settings.mqtt_tls
    assert settings.clock_synced == "auto"


def test_systemd_unit_runs_the_kiosk_hardened_with_its_credential() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(DEPLOY / "systemd" / "kiosk-buttons.service")
    service = unit["Service"]
    config = "--config /etc/mlf-kiosk/kiosk.toml"
    assert service["ExecStart"].endswith(f"/kiosk-buttons {config}")
    assert service["ExecStartPre"].endswith(f"/kiosk-buttons {config} --validate-config")
    assert service["LoadCredential"].startswith(f"{CREDENTIAL_NAME}:")
    assert service["Type"] == "notify"
    assert service["WatchdogSec"]
    assert service["Restart"] == "always"
    assert service["StateDirectory"] == "mlf-kiosk"
    assert service["Environment"] == "KIOSK_DATA_DIR=%S/mlf-kiosk"
    for hardening in ("NoNewPrivileges", "ProtectHome", "PrivateTmp", "RestrictSUIDSGID", "LockPersonality"):
        assert service[hardening] == "yes"
    assert service["ProtectSystem"] == "strict"
    assert service["CapabilityBoundingSet"] == ""
    assert "adjtimex" in service["SystemCallFilter"]  # the kiosk reads the NTP status
    assert unit["Install"]["WantedBy"] == "multi-user.target"


def test_legend_is_printed_as_in_the_readme(capsys: pytest.CaptureFixture[str]) -> None:
    from kiosk.buttons.main import main

    main(["--print-legend"])
    assert capsys.readouterr().out.strip() in README.read_text(encoding="utf-8")


def test_readme_points_at_files_that_exist() -> None:
    text = README.read_text(encoding="utf-8")
    for path in ("deploy/kiosk/kiosk.example.toml", "deploy/systemd/kiosk-buttons.service"):
        assert path in text
        assert (DEPLOY.parent / path).exists()
    assert Path(DEPLOY.parent / "requirements" / "constraints.txt").exists()


def test_touch_unit_is_kept_in_step_with_the_buttons_unit() -> None:
    """Everything but what a screen needs instead of GPIO is the same hardened service."""

    def read(name: str) -> configparser.ConfigParser:
        unit = configparser.ConfigParser(strict=False, interpolation=None)
        unit.optionxform = str  # type: ignore[assignment,method-assign]
        unit.read(DEPLOY / "systemd" / name)
        return unit

    buttons, touch = read("kiosk-buttons.service"), read("kiosk-touch.service")
    config = "--config /etc/mlf-kiosk/kiosk.toml"
    service = touch["Service"]
    assert service["ExecStart"] == f"/opt/mlf-kiosk/venv/bin/mlf-kiosk-touch {config}"
    assert service["ExecStartPre"] == f"/opt/mlf-kiosk/venv/bin/mlf-kiosk-touch {config} --validate-config"
    assert "SDL_VIDEODRIVER=kmsdrm" in service["Environment"]
    assert "video" in service["SupplementaryGroups"]
    assert "input" in service["SupplementaryGroups"]
    differ = {"ExecStart", "ExecStartPre", "Environment", "SupplementaryGroups", "DeviceAllow"}
    for key, value in buttons["Service"].items():
        if key not in differ:
            assert service.get(key) == value, key
    assert touch["Install"]["WantedBy"] == buttons["Install"]["WantedBy"]
    text = README.read_text(encoding="utf-8")
    assert "deploy/systemd/kiosk-touch.service" in text
    for words in ("KMSDRM", "labwc", "consoleblank=0", "do_blanking", "show_cursor"):
        assert words in text
