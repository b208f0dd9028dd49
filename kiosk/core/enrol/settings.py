"""The `[enrol]` table of a kiosk's settings: where to enrol, and what to trust."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from protocol.enrolment import URL

DEFAULT_CODE_FILE = Path("/boot/firmware/mlf-enrol.txt")


class EnrolSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(
        default=None,
        description="The collector a kiosk with no identity enrols with (https://...; http only on this machine); "
        "none: the URL in the code's QR.",
    )
    ca_file: Path | None = Field(
        default=None, description="CA certificate (PEM) that signs the collector's; none: the system's CAs."
    )
    code_file: Path = Field(
        default=DEFAULT_CODE_FILE, description="A file holding the enrolment code (boot partition); taken once."
    )
    retry_s: float = Field(
        default=30, ge=1, le=3600, description="Wait before asking again when the collector is unreachable."
    )

    @field_validator("url")
    @classmethod
    def _url(cls, url: str | None) -> str | None:
        if url is not None and not URL.match(url):
            raise ValueError("the enrolment URL must be http(s)://host[:port][/path]")
        return url.rstrip("/") if url is not None else None
