"""Pure classification of received messages: no broker, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from collector.ingest.messages import (
    HeartbeatIn,
    Inbound,
    RatingIn,
    Rejection,
    StatusIn,
    classify,
    classify_safely,
    sort_batch,
)
from protocol import Ack, Status, TopicKind, build_topic, encode
from tests.fixtures.kiosk_messages import BOOT, heartbeat, inbound, rating

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_each_kind_is_recognised() -> None:
    batch = sort_batch(
        [
            inbound("org", rating("k1", 1, pressed_at=NOW), NOW),
            inbound("org", heartbeat("k1", BOOT, 10), NOW),
            inbound("org", Status(state="offline"), NOW, kiosk="k1"),
            Inbound("mlf/v1/org/k1/rating", b"{", NOW),
        ]
    )
    assert [len(x) for x in (batch.ratings, batch.heartbeats, batch.statuses, batch.rejections)] == [1, 1, 1, 1]
    assert isinstance(batch.ratings[0], RatingIn)
    assert isinstance(batch.heartbeats[0], HeartbeatIn)
    assert isinstance(batch.statuses[0], StatusIn)


@pytest.mark.parametrize(
    ("pressed_at", "verdict"),
    [
        (NOW - timedelta(days=399), None),
        (NOW + timedelta(minutes=4), None),
        (NOW + timedelta(minutes=6), "absurd_time"),
        (NOW - timedelta(days=401), "absurd_time"),
    ],
)
def test_synchronised_times_are_judged(pressed_at: datetime, verdict: str | None) -> None:
    item = classify(inbound("org", rating("k1", 1, pressed_at=pressed_at), NOW))
    if verdict is None:
        assert isinstance(item, RatingIn)
    else:
        assert isinstance(item, Rejection)
        assert item.reason == verdict
        assert item.rating is not None, "a valid rating refused for its time keeps its identity"


def test_unsynchronised_1970_clock_is_not_absurd() -> None:
    assert isinstance(classify(inbound("org", rating("k1", 1, synced=False), NOW)), RatingIn)


def test_messages_the_collector_publishes_are_refused() -> None:
    ack = Ack(kiosk_id="k1", seq=3, at=NOW)
    item = classify(Inbound(build_topic("org", "k1", TopicKind.ACK), encode(ack), NOW))
    assert isinstance(item, Rejection)
    assert item.reason == "wrong_direction"


def test_spoofed_identity_is_refused_without_identity() -> None:
    item = classify(inbound("org", rating("k2", 1, pressed_at=NOW), NOW, kiosk="k1"))
    assert isinstance(item, Rejection)
    assert (item.reason, item.rating) == ("identity_mismatch", None)


def test_a_bug_on_odd_input_is_a_rejection_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(_topic: str, _payload: bytes) -> None:
        raise RecursionError("deep")

    monkeypatch.setattr("collector.ingest.messages.parse_message", broken)
    item = classify_safely(Inbound("mlf/v1/org/k1/rating", b"[]", NOW))
    assert isinstance(item, Rejection)
    assert item.reason == "internal_error"
