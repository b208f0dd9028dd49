"""The payload models: examples round-trip, bad payloads are refused with a reason that names the field."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from protocol import Face, Heartbeat, KioskClock, KioskConfig, ProtocolError, Rating, TopicKind, decode, encode
from protocol.messages import MAX_SEQ, example
from protocol.topics import SPECS


@pytest.mark.parametrize("kind", list(TopicKind))
def test_documented_example_round_trips(kind: TopicKind) -> None:
    model = SPECS[kind].payload
    message = example(model)
    assert decode(kind, encode(message)) == message


def _rating_dict(**changes: object) -> dict[str, object]:
    data = json.loads(encode(example(Rating)))
    data.update(changes)
    return {k: v for k, v in data.items() if v is not ...}


@pytest.mark.parametrize(
    ("changes", "reason", "mentions"),
    [
        ({"face": "happy"}, "schema", "face"),
        ({"seq": 0}, "schema", "seq"),
        ({"seq": "5"}, "schema", "seq"),
        ({"seq": MAX_SEQ + 1}, "schema", "seq"),
        ({"event_id": "not-a-uuid"}, "schema", "event_id"),
        ({"kiosk_id": "Kiosk 1"}, "schema", "kiosk_id"),
        ({"kiosk_id": "a/b"}, "schema", "kiosk_id"),
        ({"pressed_at": "2026-11-23T09:41:07"}, "schema", "pressed_at"),
        ({"pressed_at": 1700000000}, "schema", "pressed_at"),
        ({"channel": "fax"}, "schema", "channel"),
        ({"face": "positive", "reason": "waiting-time"}, "schema", "reason is only allowed"),
        ({"extra": 1}, "schema", "extra"),
        ({"face": ...}, "schema", "face: Field required"),
        ({"clock": {"boot_id": str(uuid.uuid4()), "uptime_ms": -1, "synced": True}}, "schema", "uptime_ms"),
    ],
)
def test_bad_rating_is_refused_with_the_field_named(changes: dict[str, object], reason: str, mentions: str) -> None:
    payload = json.dumps(_rating_dict(**changes)).encode()
    with pytest.raises(ProtocolError) as caught:
        decode(TopicKind.RATING, payload)
    assert caught.value.reason == reason
    assert mentions in str(caught.value)


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"", "not_json"),
        (b"{", "not_json"),
        (b"[1, 2]", "schema"),
        (b"\xff\xfe", "not_utf8"),
        (b"{" + b" " * 20000 + b"}", "too_large"),
        (b'{"state": "online", "version": "1\\u0000"}', "schema"),
    ],
)
def test_garbage_is_refused(payload: bytes, reason: str) -> None:
    kind = TopicKind.STATUS if b"state" in payload else TopicKind.RATING
    with pytest.raises(ProtocolError) as caught:
        decode(kind, payload)
    assert caught.value.reason == reason


slugs = st.from_regex(r"[a-z0-9][a-z0-9_-]{0,20}", fullmatch=True)


@given(
    kiosk=slugs,
    sp=slugs,
    service=st.none() | slugs,
    seq=st.integers(1, MAX_SEQ),
    face=st.sampled_from(list(Face)),
    offset_minutes=st.integers(-12 * 60, 14 * 60),
    when=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)),
    synced=st.booleans(),
    uptime=st.integers(0, 10**12),
)
def test_any_valid_rating_round_trips(
    kiosk: str,
    sp: str,
    service: str | None,
    seq: int,
    face: Face,
    offset_minutes: int,
    when: datetime,
    synced: bool,
    uptime: int,
) -> None:
    rating = Rating(
        event_id=uuid.uuid4(),
        kiosk_id=kiosk,
        seq=seq,
        service_point=sp,
        service=service,
        face=face,
        reason="waiting-time" if face is Face.NEGATIVE else None,
        pressed_at=when.replace(tzinfo=timezone(timedelta(minutes=offset_minutes))),
        clock=KioskClock(boot_id=uuid.uuid4(), uptime_ms=uptime, synced=synced),
    )
    again = decode(TopicKind.RATING, encode(rating))
    assert again == rating
    assert again.pressed_at.astimezone(UTC) == rating.pressed_at.astimezone(UTC)


BIGINT_MAX = 2**63 - 1
"""The widest column any of these numbers is stored in (PostgreSQL bigint)."""
JSON_EXACT_MAX = 2**53 - 1
"""Larger integers lose precision in JavaScript and many JSON parsers."""


def _numbers(
    schema: dict[str, object], defs: dict[str, object], where: str = ""
) -> list[tuple[str, dict[str, object]]]:
    """(path, schema) of every integer or number in a JSON Schema, through $ref, anyOf and arrays."""
    if "$ref" in schema:
        name = str(schema["$ref"]).rsplit("/", 1)[-1]
        return _numbers(defs[name], defs, where)  # type: ignore[arg-type]
    found: list[tuple[str, dict[str, object]]] = []
    if schema.get("type") in ("integer", "number"):
        found.append((where, schema))
    for option in schema.get("anyOf", []):  # type: ignore[attr-defined]
        found += [(w, s) for w, s in _numbers(option, defs, where) if s.get("type") != "null"]
    for name, sub in schema.get("properties", {}).items():  # type: ignore[attr-defined]
        found += _numbers(sub, defs, f"{where}.{name}")
    if isinstance(schema.get("items"), dict):
        found += _numbers(schema["items"], defs, f"{where}[]")  # type: ignore[arg-type]
    return found


@pytest.mark.parametrize("kind", list(TopicKind))
def test_every_number_is_bounded_within_its_column(kind: TopicKind) -> None:
    """Unbounded numbers stopped ingest (issue 10): each has a minimum and a maximum that its column (at most
    a bigint) and a JSON parser (2^53 - 1 for integers) can hold, so the schema documents what is accepted."""
    schema = SPECS[kind].payload.model_json_schema()
    numbers = _numbers(schema, schema.get("$defs", {}))
    for where, number in numbers:
        assert "minimum" in number or "exclusiveMinimum" in number, where
        assert "maximum" in number or "exclusiveMaximum" in number, where
        top = float(number.get("maximum", number.get("exclusiveMaximum")))  # type: ignore[arg-type]
        assert top <= (JSON_EXACT_MAX if number["type"] == "integer" else BIGINT_MAX), where


def _heartbeat_dict(**changes: object) -> dict[str, object]:
    data: dict[str, object] = json.loads(encode(example(Heartbeat)))
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("kind", "payload", "mentions"),
    [
        (
            TopicKind.HEARTBEAT,
            _heartbeat_dict(clock={"boot_id": str(uuid.uuid4()), "uptime_ms": 10**17, "synced": True}),
            "uptime_ms",
        ),
        (TopicKind.HEARTBEAT, _heartbeat_dict(outbox_depth=10**20), "outbox_depth"),
        (TopicKind.HEARTBEAT, _heartbeat_dict(ignored_presses=2**63), "ignored_presses"),
        (TopicKind.HEARTBEAT, _heartbeat_dict(config_revision=2**63), "config_revision"),
        (TopicKind.HEARTBEAT, _heartbeat_dict(oldest_pending_age_s=1e308), "oldest_pending_age_s"),
        (TopicKind.HEARTBEAT, _heartbeat_dict(sent_at="9999-12-31T23:00:00-05:00"), "sent_at"),
        (
            TopicKind.RATING,
            _rating_dict(clock={"boot_id": str(uuid.uuid4()), "uptime_ms": 2**63, "synced": False}),
            "uptime_ms",
        ),
        (TopicKind.RATING, _rating_dict(pressed_at="0001-01-01T00:00:00+14:00"), "pressed_at"),
        (TopicKind.CONFIG, {**json.loads(encode(example(KioskConfig))), "revision": 2**63}, "revision"),
    ],
)
def test_out_of_range_is_refused_with_the_field_named(
    kind: TopicKind, payload: dict[str, object], mentions: str
) -> None:
    with pytest.raises(ProtocolError) as caught:
        decode(kind, json.dumps(payload).encode())
    assert caught.value.reason == "schema"
    assert mentions in str(caught.value)


@pytest.mark.parametrize("literal", [b"Infinity", b"-Infinity", b"NaN", b"1e400"])
def test_no_infinity_or_nan_anywhere(literal: bytes) -> None:
    payload = json.dumps(_heartbeat_dict(oldest_pending_age_s="X")).encode().replace(b'"X"', literal)
    with pytest.raises(ProtocolError):
        decode(TopicKind.HEARTBEAT, payload)
