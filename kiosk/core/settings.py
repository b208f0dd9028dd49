"""Local kiosk settings: one pydantic-settings model, from a TOML file and `KIOSK_*` environment variables.

Precedence: environment over file over defaults, so a systemd unit can override one
value of `/etc/mlf-kiosk/kiosk.toml` without editing it. The MQTT password comes from
a file (systemd `LoadCredential=`); when nothing names one, the credential
`mqtt-password` in `$CREDENTIALS_DIRECTORY` is used. What the collector may change at
run time (service point, services, reasons, cooldown) also arrives as remote
configuration; these local values are the defaults until it does.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from envcheck import is_placeholder
from kiosk.core.device import local_device_id
from kiosk.core.enrol.settings import EnrolSettings
from protocol import Channel
from protocol.messages import Slug

CREDENTIAL_NAME = "mqtt-password"
OUTBOX_FILE = "outbox.sqlite3"
DEFAULT_REASONS = ("waiting-time", "staff-courtesy", "information-clarity", "must-come-back")
"""Codes of the default reasons after a red face, until the collector sends its own list."""


class KioskSettings(BaseSettings):
    """Everything one kiosk needs to run. Built in `main()` (see `kiosk.core.config_file.load_settings`)."""

    model_config = SettingsConfigDict(
        env_prefix="KIOSK_", env_nested_delimiter="__", extra="forbid", validate_default=True
    )

    kiosk_id: Slug = Field(description="This kiosk's id; also its MQTT client id and user name.")
    organisation: Slug = Field(description="The organisation the kiosk belongs to.")
    service_point: Slug = Field(description="The service point (counter) rated, until remote config says otherwise.")
    channel: Channel = Field(default=Channel.COUNTER, description="counter, phone or web.")
    service: Slug | None = Field(default=None, description="Fixed service, for a kiosk bound to one service.")
    reasons: list[Slug] = Field(
        default=list(DEFAULT_REASONS), max_length=8, description="Reason codes offered after red (remote config wins)."
    )
    data_dir: Path = Field(default=Path("/var/lib/mlf-kiosk"), description="Folder of the outbox database.")
    device_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="This device, as recorded in the outbox it creates (a copy on another device is refused); "
        "default: /etc/machine-id and, on a Raspberry Pi, the board's serial number.",
    )

    mqtt_host: str = Field(default="127.0.0.1", min_length=1, description="MQTT broker host.")
    mqtt_port: int = Field(default=1883, ge=1, le=65535, description="MQTT broker port (8883 with TLS).")
    mqtt_password: SecretStr | None = Field(default=None, description="Broker password (prefer the file).")
    mqtt_password_file: Path | None = Field(default=None, description="File holding the broker password.")
    mqtt_tls: bool = Field(default=False, description="Connect with TLS (port 8883 as a rule).")
    mqtt_ca_file: Path | None = Field(default=None, description="CA bundle for TLS; the system's when unset.")
    mqtt_keepalive_s: int = Field(
        default=30, ge=5, le=600, description="Keep-alive; the broker declares the kiosk offline after 1.5 times this."
    )

    heartbeat_interval_s: float = Field(default=60, ge=1, le=3600, description="Seconds between heartbeats.")
    send_window: int = Field(
        default=5000, ge=1, le=100_000, description="Ratings sent but not yet covered by the collector's watermark."
    )
    max_inflight: int = Field(default=100, ge=1, le=65535, description="Ratings awaiting the broker's PUBACK.")
    resend_after_s: float = Field(
        default=30, gt=0, le=3600, description="Resend what the watermark has not covered after this long."
    )
    resend_max_s: float = Field(default=600, gt=0, le=86_400, description="Longest resend interval (it doubles).")
    reconnect_min_s: float = Field(default=1, gt=0, le=600, description="First reconnect delay (it doubles).")
    reconnect_max_s: float = Field(default=60, gt=0, le=3600, description="Longest reconnect delay, before jitter.")
    takeover_backoff_s: float = Field(
        default=120,
        gt=0,
        le=3600,
        description="Wait before reconnecting when another device took over this kiosk's connection (same id); "
        "it doubles while that repeats.",
    )
    takeover_backoff_max_s: float = Field(
        default=1800, gt=0, le=86_400, description="Longest wait after a takeover, before jitter."
    )

    cooldown_s: float = Field(default=3.0, ge=0, le=600, description="Minimum interval between accepted presses.")
    service_timeout_s: float = Field(default=30, gt=0, le=600, description="Idle time on the service step.")
    face_timeout_s: float = Field(default=30, gt=0, le=600, description="Idle time on the face step.")
    reason_timeout_s: float = Field(default=10, gt=0, le=600, description="Idle time on the reason step.")
    thank_you_s: float = Field(default=2.0, ge=0, le=60, description="How long the thank-you lasts.")

    clock_synced: Literal["auto", "yes", "no"] = Field(
        default="auto",
        description="Whether the wall clock is right: `auto` asks the kernel (NTP status), "
        "`yes`/`no` override it (a board with a battery-backed RTC, or a test).",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(default="INFO", description="Logging detail.")
    enrol: EnrolSettings = Field(
        default_factory=EnrolSettings, description="Zero-touch enrolment of a kiosk with no identity yet."
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The TOML file's values are passed as init values: the environment must override them.
        return env_settings, init_settings

    @model_validator(mode="after")
    def _password(self) -> KioskSettings:
        path = self.mqtt_password_file
        if path is None and self.mqtt_password is None and (creds := os.environ.get("CREDENTIALS_DIRECTORY")):
            candidate = Path(creds) / CREDENTIAL_NAME
            path = candidate if candidate.exists() else None
        if path is not None:
            try:
                self.mqtt_password = SecretStr(path.read_text(encoding="utf-8").strip())
            except OSError as exc:
                raise ValueError(f"cannot read the MQTT password file {path}: {exc.strerror}") from None
        if self.mqtt_password is not None and is_placeholder(self.mqtt_password.get_secret_value()):
            raise ValueError("the MQTT password is a placeholder: set the kiosk's real password")
        if self.reconnect_max_s < self.reconnect_min_s:
            raise ValueError("reconnect_max_s must not be smaller than reconnect_min_s")
        if self.takeover_backoff_max_s < self.takeover_backoff_s:
            raise ValueError("takeover_backoff_max_s must not be smaller than takeover_backoff_s")
        return self

    @property
    def outbox_path(self) -> Path:
        return self.data_dir / OUTBOX_FILE

    def device(self) -> str:
        return self.device_id or local_device_id()

    def password(self) -> str | None:
        return self.mqtt_password.get_secret_value() if self.mqtt_password else None


def flat_fields(model: type[BaseModel], prefix: str = "") -> list[str]:
    """Setting names as written in the environment after `KIOSK_` (nested tables joined by `__`)."""
    names = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names += flat_fields(annotation, f"{prefix}{name}__")
        names.append(f"{prefix}{name}")
    return names
