"""The database's rule for identifiers is the protocol's, value for value (migration 0060 made it cheaper)."""

from __future__ import annotations

import re

import psycopg
import pytest

from protocol.messages import SLUG_PATTERN

CASES = [
    "a",
    "roma-anagrafe",
    "k_1-2",
    "0",
    "a" * 63,
    "a" * 64,
    "",
    "-a",
    "_a",
    "Roma",
    "a b",
    "a\n",
    "\na",
    "città",
    "a/b",
    "a+",
    "a#",
]


@pytest.mark.parametrize("value", CASES)
def test_slug_domain_accepts_what_the_protocol_accepts(db: psycopg.Connection[tuple[object, ...]], value: str) -> None:
    protocol_ok = re.fullmatch(SLUG_PATTERN, value) is not None
    try:
        with db.transaction():
            db.execute("SELECT %s::slug", (value,))
        database_ok = True
    except psycopg.errors.CheckViolation:
        database_ok = False
    assert database_ok == protocol_ok, value
