"""The identity an enrolment gave: `identity.json` in the kiosk's data folder (mode 0600), read with its
settings (it wins over the settings file, the environment over both).

Written whole or not at all (a temporary file, fsync, rename, fsync of the folder): a power cut while
writing leaves either no identity, and the kiosk asks again with a new code, or the whole one.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from protocol.enrolment import Enrolment

IDENTITY_FILE = "identity.json"
CA_FILE = "mqtt-ca.pem"


def identity_path(data_dir: Path) -> Path:
    return data_dir / IDENTITY_FILE


def settings_of(enrolment: Enrolment, data_dir: Path) -> dict[str, Any]:
    """The kiosk settings an enrolment stands for."""
    mqtt = enrolment.mqtt
    values: dict[str, Any] = {
        "kiosk_id": enrolment.kiosk,
        "organisation": enrolment.organisation,
        "service_point": enrolment.service_point,
        "mqtt_host": mqtt.host,
        "mqtt_port": mqtt.port,
        "mqtt_tls": mqtt.tls,
        "mqtt_password": mqtt.password,
        "mqtt_password_file": None,
    }
    if mqtt.ca_pem:
        values["mqtt_ca_file"] = str(data_dir / CA_FILE)
    return values


def read_identity(data_dir: Path) -> dict[str, Any]:
    """The settings the enrolment gave, or {} before it. A damaged file is an error, never ignored: the kiosk
    must not enrol a second time behind an identity the collector already gave it."""
    path = identity_path(data_dir)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    try:
        return settings_of(Enrolment.model_validate_json(text), data_dir)
    except ValueError as exc:
        raise ValueError(f"{path}: not a valid enrolment identity ({exc}); remove it to enrol again") from None


def write_identity(data_dir: Path, enrolment: Enrolment) -> Path:
    data_dir.mkdir(parents=True, exist_ok=True)
    if enrolment.mqtt.ca_pem:
        _write(data_dir / CA_FILE, enrolment.mqtt.ca_pem, 0o644)
    path = identity_path(data_dir)
    _write(path, json.dumps(enrolment.model_dump(mode="json"), indent=1) + "\n", 0o600)
    return path


def _write(path: Path, text: str, mode: int) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
