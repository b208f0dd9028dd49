"""Enrolment codes: 16 random digits, typed on a keypad, printed as a QR; only a slow hash is kept.

`1234-5678-9012-3456`: the first four digits find the row (`lookup`), all sixteen are checked against an
scrypt hash with a salt of the code's own. Digits because an installer types them on a touch keypad, and
because a USB QR scanner types digits right whatever the keyboard layout. With 10^12 codes behind each
lookup, the per-source and overall failure limits (`limits`) make guessing hopeless online, and scrypt makes
a stolen table costly offline for longer than a code lives (7 days by default).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from psycopg import AsyncConnection

from collector.store import enrolment
from collector.store.registry import Row
from collector.store.scope import OrgScope
from protocol.enrolment import CODE_DIGITS, display

LOOKUP = 4
SCRYPT_N = 2**14
"""scrypt's cost: 16 MB and some 50 ms a check."""


@dataclass(frozen=True)
class NewCode:
    code: str
    """The 16 digits; shown once."""
    lookup: str
    salt: bytes
    code_hash: bytes

    @property
    def display(self) -> str:
        return display(self.code)


def new_code() -> NewCode:
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    salt = secrets.token_bytes(16)
    return NewCode(code, code[:LOOKUP], salt, code_hash(code, salt))


def code_hash(code: str, salt: bytes) -> bytes:
    return hashlib.scrypt(code.encode(), salt=salt, n=SCRYPT_N, r=8, p=1, maxmem=64 * 1024 * 1024, dklen=32)


def matches(code: str, salt: bytes, stored: bytes) -> bool:
    return hmac.compare_digest(code_hash(code, salt), stored)


async def issue(
    conn: AsyncConnection[Any],
    *,
    service_point: str,
    kiosk_id: str | None,
    services: list[str],
    days: float,
    note: str | None,
    scope: OrgScope,
) -> tuple[Row, NewCode]:
    """A new code stored (its hash) for a service point in scope: the stored row, and the code to show once."""
    made = new_code()
    row = await enrolment.create(
        conn,
        made.lookup,
        made.salt,
        made.code_hash,
        service_point=service_point,
        kiosk_id=kiosk_id,
        services=services,
        days=days,
        note=note,
        scope=scope,
    )
    return row, made
