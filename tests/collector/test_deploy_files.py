"""deploy/: the collector's systemd units and example settings agree with the code."""

from __future__ import annotations

import tomllib
from collections import defaultdict
from pathlib import Path

import pytest

from collector.config import CollectorSettings, unknown_variables

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def unit(name: str) -> dict[str, dict[str, list[str]]]:
    """A systemd unit file as section -> key -> every value (systemd keys may repeat; later ones add)."""
    sections: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    section = ""
    for raw in (DEPLOY / "systemd" / name).read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        key, value = line.split("=", 1)
        sections[section][key.strip()].append(value.strip())
    return sections


def one(values: list[str]) -> str:
    assert len(values) == 1, values
    return values[0]


def example_env() -> dict[str, str]:
    lines = (DEPLOY / "collector" / "collector.env.example").read_text(encoding="utf-8").splitlines()
    pairs = [line.split("=", 1) for line in lines if line.strip() and not line.lstrip().startswith("#")]
    return {key: value for key, value in pairs}


def test_example_settings_are_all_known_and_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for key in [k for k in os.environ if k.startswith("COLLECTOR_")]:
        monkeypatch.delenv(key)
    env = example_env()
    assert not unknown_variables(env, "COLLECTOR_", CollectorSettings)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = CollectorSettings()
    assert settings.auto_register is False
    assert settings.broker_password_file == Path("/etc/mosquitto/mlf/passwd")


def test_collector_unit_runs_the_entry_point_hardened_with_credentials() -> None:
    service = unit("mlf-collector.service")["Service"]
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["mlf-collector"] == "collector.main:main"
    assert one(service["ExecStart"]).endswith("/venv/bin/mlf-collector serve")
    assert one(service["ExecStartPre"]).endswith("/venv/bin/mlf-collector --validate-config")
    assert one(service["EnvironmentFile"]) == "/etc/mlf-collector/collector.env"
    assert one(service["KillSignal"]) == "SIGINT"
    assert one(service["Restart"]) == "always"
    # Each credential is loaded and named to the collector by its *_FILE setting.
    credentials = dict(value.split(":", 1) for value in service["LoadCredential"])
    environment = service["Environment"]
    for name, setting in (("mqtt-password", "MQTT_PASSWORD_FILE"), ("database-password", "DATABASE_PASSWORD_FILE")):
        assert name in credentials
        assert f"COLLECTOR_{setting}=%d/{name}" in environment
        assert setting.lower() in CollectorSettings.model_fields
    # It may write the folder of the kiosks' broker files, and nothing else on the system.
    broker_folder = Path(example_env()["COLLECTOR_BROKER_PASSWORD_FILE"]).parent
    assert one(service["ReadWritePaths"]) == str(broker_folder)
    assert one(service["ProtectSystem"]) == "strict"
    for hardening in ("NoNewPrivileges", "ProtectHome", "PrivateTmp", "PrivateDevices", "RestrictSUIDSGID"):
        assert one(service[hardening]) == "yes"
    assert one(service["CapabilityBoundingSet"]) == ""


def test_broker_reload_path_watches_the_files_the_collector_writes() -> None:
    env = example_env()
    watched = unit("mlf-broker-reload.path")["Path"]["PathChanged"]
    assert sorted(watched) == sorted([env["COLLECTOR_BROKER_PASSWORD_FILE"], env["COLLECTOR_BROKER_ACL_FILE"]])
    assert "COLLECTOR_BROKER_RELOAD_COMMAND" not in env
    reload = unit("mlf-broker-reload.service")["Service"]
    assert one(reload["ExecStart"]) == "/bin/systemctl reload mosquitto.service"
