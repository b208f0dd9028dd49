"""The payload models: examples round-trip, bad payloads are refused with a reason that names the field."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from protocol import Face, KioskClock, ProtocolError, Rating, TopicKind, decode, encode
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
