"""The ack watermark as it goes on the wire: the instance's own topic and payload, read back by the protocol."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from collector.ingest.watermarks import ack_message
from protocol import Ack, TopicKind, parse_message
from protocol.messages import NIL_INSTANCE

AT = datetime(2026, 11, 30, 9, 41, 8, tzinfo=UTC)


def test_the_watermark_of_an_instance_names_it() -> None:
    instance = uuid.uuid4()
    topic, payload = ack_message("roma", ("k1", instance), 42, AT)
    parsed, ack = parse_message(topic, payload)
    assert (parsed.org, parsed.kiosk_id, parsed.kind) == ("roma", "k1", TopicKind.ACK)
    assert isinstance(ack, Ack)
    assert (ack.kiosk_id, ack.instance, ack.seq, ack.at) == ("k1", instance, 42, AT)
    assert ack.identity_conflict is None
    assert b"identity_conflict" not in payload  # a protocol 1.0 kiosk reads what it always read


def test_a_kiosk_that_sends_no_instance_gets_a_watermark_naming_none() -> None:
    topic, payload = ack_message("roma", ("k1", NIL_INSTANCE), 7, AT)
    _, ack = parse_message(topic, payload)
    assert isinstance(ack, Ack)
    assert ack.instance is None
    assert ack.seq == 7


def test_an_open_identity_conflict_is_said_in_the_ack() -> None:
    _, ack = parse_message(*ack_message("roma", ("k1", uuid.uuid4()), 3, AT, conflict=True))
    assert isinstance(ack, Ack)
    assert ack.identity_conflict is True
