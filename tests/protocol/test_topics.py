"""The topic grammar: built and parsed by one module, refusing anything else."""

from __future__ import annotations

import pytest

from protocol import ProtocolError, TopicKind, build_topic, encode, parse_message, parse_topic, subscription
from protocol.messages import Rating, example


def test_build_and_parse_are_inverse() -> None:
    for kind in TopicKind:
        topic = build_topic("roma", "k-1", kind)
        parsed = parse_topic(topic)
        assert (parsed.org, parsed.kiosk_id, parsed.kind) == ("roma", "k-1", kind)
        assert str(parsed) == topic


@pytest.mark.parametrize(
    "topic",
    [
        "mlf/v1/roma/k1",
        "mlf/v1/roma/k1/rating/extra",
        "mlf/v2/roma/k1/rating",
        "other/v1/roma/k1/rating",
        "mlf/v1/Roma/k1/rating",
        "mlf/v1/roma//rating",
        "mlf/v1/roma/k1/unknown",
        "mlf/v1/roma/k+1/rating",
        "mlf/v1/roma\n/k1/rating",  # a regex `$` would match before that newline
        "mlf/v1/roma/k1\n/rating",
        f"mlf/v1/roma/{'k' * 64}/rating",
        "",
    ],
)
def test_foreign_topics_are_refused(topic: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        parse_topic(topic)
    assert caught.value.reason == "bad_topic"


def test_build_refuses_identifiers_that_would_break_the_grammar() -> None:
    with pytest.raises(ProtocolError):
        build_topic("roma", "k/1", TopicKind.RATING)
    with pytest.raises(ProtocolError):
        build_topic("#", "k1", TopicKind.RATING)


def test_subscriptions() -> None:
    assert subscription(TopicKind.RATING) == "mlf/v1/+/+/rating"
    assert subscription(TopicKind.ACK, org="roma", kiosk_id="k1") == "mlf/v1/roma/k1/ack"
    assert subscription(TopicKind.RATING, share_group="collectors") == "$share/collectors/mlf/v1/+/+/rating"


def test_payload_must_name_the_kiosk_of_its_topic() -> None:
    rating = example(Rating)
    assert isinstance(rating, Rating)
    parse_message(f"mlf/v1/roma/{rating.kiosk_id}/rating", encode(rating))
    with pytest.raises(ProtocolError) as caught:
        parse_message("mlf/v1/roma/another-kiosk/rating", encode(rating))
    assert caught.value.reason == "identity_mismatch"
