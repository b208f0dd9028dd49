"""The enrolment exchange (HTTP, not MQTT): a kiosk with no identity trades a one-time code for one.

`POST /v1/enrolment` with an `EnrolmentRequest`; the answer is an `Enrolment`. The code is 16 digits,
shown as `1234-5678-9012-3456`; its QR holds one line, `MLF-ENROL <code> <collector URL>`, which a phone
shows as it is and a USB scanner types (then Enter). Kiosk and collector both read the format from here.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from protocol.messages import Slug

CODE_DIGITS = 16
QR_PREFIX = "MLF-ENROL"
CODE_PATTERN = r"^[0-9]{4}-?[0-9]{4}-?[0-9]{4}-?[0-9]{4}$"
URL = re.compile(r"^https?://[^\s/?#]+(/[^\s?#]*)?$")


def normalise(text: str) -> str | None:
    """The 16 digits of a code typed with or without dashes and spaces; None if `text` is not one."""
    digits = re.sub(r"[\s-]", "", text)
    return digits if re.fullmatch(rf"[0-9]{{{CODE_DIGITS}}}", digits) else None


def display(code: str) -> str:
    """`1234-5678-9012-3456`."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def qr_text(code: str, collector_url: str) -> str:
    return f"{QR_PREFIX} {display(code)} {collector_url.rstrip('/')}"


def parse_entry(text: str) -> tuple[str | None, str | None]:
    """(code, collector URL) from what was typed, pasted or scanned: a bare code, or a QR's line (whose URL
    is None when a scanner on another keyboard layout garbled it: the kiosk's own URL is used then)."""
    text = text.strip()
    if (code := normalise(text)) is not None:
        return code, None
    code = url = None
    for word in text.split():
        if code is None and (found := normalise(word)) is not None:
            code = found
        elif url is None and URL.match(word):
            url = word.rstrip("/")
    return code, url


class EnrolmentRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"code": "1234-5678-9012-3456", "software_version": "0.2.0"}]}
    )

    code: Annotated[str, StringConstraints(pattern=CODE_PATTERN)] = Field(
        description="The one-time enrolment code (16 digits, dashes optional)."
    )
    software_version: str | None = Field(default=None, max_length=40, description="The kiosk's software version.")


class MqttAccess(BaseModel):
    host: str = Field(description="The broker, as kiosks reach it.")
    port: int = Field(ge=1, le=65535)
    tls: bool = Field(description="Connect with TLS.")
    ca_pem: str | None = Field(
        default=None, description="CA certificate(s) that sign the broker's certificate (PEM); null: the system's."
    )
    username: str = Field(description="The kiosk id.")
    password: str = Field(description="The kiosk's MQTT password: shown this once, only its hash is kept.")
    client_id: str


class Enrolment(BaseModel):
    """What an enrolled kiosk is: written to its identity file (mode 0600) and used from then on."""

    kiosk: Slug
    organisation: Slug
    service_point: Slug
    mqtt: MqttAccess
