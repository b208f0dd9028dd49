"""The alerting's settings (`COLLECTOR_ALERTS_*`, `COLLECTOR_SMTP_*`), a part of `CollectorSettings`."""

from __future__ import annotations

from pathlib import Path
from typing import Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings

import envcheck

ADDRESS = r"^[^@\s<>\"]{1,64}@[^@\s<>\"]{1,255}$"
"""An e-mail address, as far as we check one: the mail server has the last word."""


class AlertSettings(BaseSettings):
    alerts_interval_s: float = Field(
        default=60, ge=0, le=3600, description="How often alerts are evaluated (0: not in this process)."
    )
    alerts_recovery_hold_s: float = Field(
        default=3600,
        ge=0,
        le=7 * 86_400,
        description="A service point below target is reported back on target once it has stayed there this long.",
    )
    alerts_silent_after_s: int = Field(
        default=15 * 60,
        ge=60,
        le=7 * 86_400,
        description="A kiosk silent for this long during its service point's opening hours alerts.",
    )
    alerts_quarantine_spike: int = Field(
        default=20, ge=1, le=1_000_000, description="More refused messages of one reason than this in the window."
    )
    alerts_quarantine_window_s: int = Field(default=15 * 60, ge=60, le=86_400, description="Window of a spike.")
    alerts_outbox_growth: int = Field(
        default=20, ge=1, le=1_000_000, description="A kiosk outbox grown by this many ratings without draining..."
    )
    alerts_outbox_window_s: int = Field(
        default=30 * 60, ge=60, le=7 * 86_400, description="...for this long keeps growing: it alerts."
    )
    alerts_retry_base_s: float = Field(
        default=30, gt=0, le=3600, description="First wait after a failed delivery; doubled after each failure."
    )
    alerts_retry_max_s: float = Field(default=3600, gt=0, le=86_400, description="Longest wait between attempts.")
    alerts_max_failures: int = Field(
        default=10, ge=1, le=1000, description="A subscription is disabled after this many failures in a row."
    )
    alerts_send_interval_s: float = Field(
        default=5, gt=0, le=600, description="How often the outbox of deliveries is looked at."
    )
    alerts_timeout_s: float = Field(default=10, gt=0, le=120, description="Time allowed to one delivery.")
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        pattern=r"^https?://[^\s/]+(/[^\s]*)?$",
        description="Where people reach this collector (links in alerts).",
    )
    smtp_host: str | None = Field(default=None, description="Mail server for e-mail alerts (unset: none sent).")
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_starttls: bool = Field(default=True, description="Require STARTTLS (off only for a server on loopback).")
    smtp_ca_file: Path | None = Field(default=None, description="CA certificates the mail server's is checked with.")
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_password_file: Path | None = Field(default=None, description="File holding the mail server password.")
    smtp_from: str = Field(
        default="mettiamoci-la-faccia@localhost", pattern=ADDRESS, description="Sender of e-mail alerts."
    )

    @model_validator(mode="after")
    def _smtp_secret(self) -> Self:
        if self.smtp_password_file is not None:
            try:
                self.smtp_password = SecretStr(self.smtp_password_file.read_text(encoding="utf-8").strip())
            except OSError as exc:
                raise ValueError(f"cannot read secret file {self.smtp_password_file}: {exc.strerror}") from None
        if self.smtp_password is not None and envcheck.is_placeholder(self.smtp_password.get_secret_value()):
            raise ValueError("the password in COLLECTOR_SMTP_PASSWORD is a placeholder: set a real one")
        if not self.smtp_starttls and self.smtp_host not in (None, "127.0.0.1", "localhost", "::1"):
            raise ValueError("COLLECTOR_SMTP_STARTTLS may be off only for a mail server on loopback")
        return self
