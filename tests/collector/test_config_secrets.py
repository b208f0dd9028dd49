"""Every secret the collector takes is refused when it is an example value copied as is."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from collector.config import CollectorSettings
from envcheck import is_placeholder

REAL = "q3V9-x7Lr2mZ0pT8sKd4"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in [k for k in os.environ if k.startswith("COLLECTOR_")]:
        monkeypatch.delenv(key)


def secret_file(tmp_path: Path, value: str) -> Path:
    path = tmp_path / "secret"
    path.write_text(value + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("value", ["changeme", "CHANGE_ME", "change-me-please", "Password", "secret", "  ", "example"])
def test_placeholders_are_recognised(value: str) -> None:
    assert is_placeholder(value)


@pytest.mark.parametrize("value", [REAL, "secretive-Zebra-81", "my-password-is-long-2026"])
def test_real_secrets_are_not_placeholders(value: str) -> None:
    assert not is_placeholder(value)


@pytest.mark.parametrize(
    ("setting", "build"),
    [
        ("COLLECTOR_MQTT_PASSWORD", lambda tmp, v: {"mqtt_password": v}),
        ("COLLECTOR_MQTT_PASSWORD", lambda tmp, v: {"mqtt_password_file": secret_file(tmp, v)}),
        ("COLLECTOR_DATABASE_URL", lambda tmp, v: {"database_url": f"postgresql://mlf:{v}@db:5432/mlf"}),
        ("COLLECTOR_DATABASE_URL", lambda tmp, v: {"database_url": f"host=db dbname=mlf user=mlf password={v}"}),
        ("COLLECTOR_DATABASE_PASSWORD_FILE", lambda tmp, v: {"database_password_file": secret_file(tmp, v)}),
    ],
)
def test_each_secret_setting_refuses_a_placeholder_and_takes_a_real_one(
    tmp_path: Path, setting: str, build: Callable[[Path, str], dict[str, Any]]
) -> None:
    with pytest.raises(ValidationError, match=f"password in {setting} is a placeholder"):
        CollectorSettings(**build(tmp_path, "change-me"))
    settings = CollectorSettings(**build(tmp_path, REAL))
    assert REAL in settings.database_conninfo() or (
        settings.mqtt_password is not None and settings.mqtt_password.get_secret_value() == REAL
    )


def test_an_unreadable_database_password_file_is_said_at_start(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="cannot read secret file"):
        CollectorSettings(database_password_file=tmp_path / "missing")
