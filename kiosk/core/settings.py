"""Kiosk settings: environment variables `KIOSK_*`."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from protocol import Channel
from protocol.messages import Slug


class KioskSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KIOSK_", extra="forbid")

    kiosk_id: Slug = Field(description="This kiosk's id; also its MQTT user name.")
    organisation: Slug = Field(description="The organisation the kiosk belongs to.")
    service_point: Slug = Field(description="The service point (counter) the kiosk rates.")
    channel: Channel = Channel.COUNTER
    service: Slug | None = Field(default=None, description="Fixed service, for a kiosk bound to one service.")
    mqtt_host: str = "127.0.0.1"
    mqtt_port: int = Field(default=1883, ge=1, le=65535)
    mqtt_password: SecretStr | None = None
