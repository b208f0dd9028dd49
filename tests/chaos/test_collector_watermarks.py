"""Each kiosk's retained ack is its highest sequence number stored without gaps, also when nothing moved."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from devstack.mosquitto import LocalMosquitto
from protocol import Heartbeat, Rating, Status, TopicKind, build_topic, encode
from tests.fixtures.fix_collector import CollectorProcess
from tests.fixtures.fix_kiosk import ORG, MqttWatcher
from tests.fixtures.fix_kiosk_mqtt import Publisher, retained_acks
from tests.fixtures.kiosk_messages import heartbeat, rating, topic_of, wire
from tests.waiting import wait_for

START = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)


def made(kiosk: str, seqs: list[int]) -> dict[int, Rating]:
    return {s: rating(kiosk, s, pressed_at=START + timedelta(minutes=s)) for s in seqs}


def open_gaps(url: str) -> set[tuple[object, ...]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT kiosk_id, first_seq, last_seq FROM sequence_gaps WHERE closed_at IS NULL")
        return set(rows.fetchall())


def test_watermark_is_highest_seq_without_gaps(
    broker: LocalMosquitto, collector: CollectorProcess, publisher: Publisher, database_url: str
) -> None:
    a, b, c = made("wa", list(range(1, 11))), made("wb", list(range(1, 11))), made("wc", list(range(1, 6)))
    first = [*a.values(), *(r for s, r in b.items() if s not in (4, 7)), *(r for s, r in c.items() if s != 1)]
    publisher.send_all(wire("org", first))
    expected = {"wa": 10, "wb": 3, "wc": 0}
    assert wait_for(lambda: retained_acks(broker.port, 0.3) == expected, 30), retained_acks(broker.port)
    assert open_gaps(database_url) == {("wb", 4, 4), ("wb", 7, 7), ("wc", 1, 1)}

    publisher.send_all(wire("org", [b[4], c[1]]))
    expected = {"wa": 10, "wb": 6, "wc": 5}
    assert wait_for(lambda: retained_acks(broker.port, 0.3) == expected, 30), retained_acks(broker.port)
    publisher.send_all(wire("org", [b[7]]))
    expected = {"wa": 10, "wb": 10, "wc": 5}
    assert wait_for(lambda: retained_acks(broker.port, 0.3) == expected, 30), retained_acks(broker.port)
    assert open_gaps(database_url) == set()


def test_unchanged_watermark_is_published_again(
    broker: LocalMosquitto, collector: CollectorProcess, publisher: Publisher
) -> None:
    ratings = made("wa", [1, 2])
    publisher.send_all(wire("org", list(ratings.values())))
    assert wait_for(lambda: retained_acks(broker.port, 0.3) == {"wa": 2}, 30)
    # The broker lost the retained ack (a crash before its autosave): an empty retained message clears it.
    publisher.client.publish(build_topic("org", "wa", TopicKind.ACK), b"", qos=1, retain=True).wait_for_publish(5)
    assert retained_acks(broker.port, 0.3) == {}
    publisher.send_all(wire("org", [ratings[2]]))  # the kiosk resends what it was never told about
    assert wait_for(lambda: retained_acks(broker.port, 0.3) == {"wa": 2}, 30)


@pytest.mark.parametrize("instance", [None, uuid.UUID("3f2a9c64-1b7e-4d0a-8c55-0e9d7b6a4f21")], ids=["none", "named"])
def test_a_watermark_never_passes_an_open_gap_when_the_kiosk_is_heard_without_new_ratings(
    broker: LocalMosquitto,
    collector: CollectorProcess,
    publisher: Publisher,
    watch: Callable[..., MqttWatcher],
    instance: uuid.UUID | None,
) -> None:
    """Issue 18: seqs 1, 2, 7 -> 2; then a heartbeat, a status, 7 again: each heard, each answered 2; 3-6 -> 7."""
    kiosk = "w18"
    acks = watch(kiosk, TopicKind.ACK)
    ratings = {s: r.model_copy(update={"instance": instance}) for s, r in made(kiosk, list(range(1, 8))).items()}

    def send(*messages: Rating | Heartbeat | Status) -> None:
        publisher.send_all([(topic_of(ORG, m, kiosk), encode(m)) for m in messages])

    def answered(count: int) -> list[int]:
        """The watermarks published to this kiosk so far, once there are `count` of them."""
        assert wait_for(lambda: len(acks.on(TopicKind.ACK)) >= count, 30), [m.json() for m in acks.messages]
        got = [m.json() for m in acks.on(TopicKind.ACK)]
        assert {a.get("instance") for a in got} == {str(instance) if instance else None}
        return [a["seq"] for a in got]

    send(ratings[1], ratings[2], ratings[7])
    assert wait_for(lambda: answered(1)[-1] == 2, 30)
    heard = len(acks.on(TopicKind.ACK))
    send(heartbeat(kiosk, uuid.uuid4(), 5000, synced=True, last_seq=7).model_copy(update={"instance": instance}))
    assert answered(heard + 1)[-1] == 2  # heard through a heartbeat: its watermark again, still below the gap
    send(Status(state="online", version="test"))
    assert wait_for(lambda: retained_acks(broker.port, 0.3).get(kiosk) == 2, 30)
    heard = len(acks.on(TopicKind.ACK))
    send(ratings[7])
    assert answered(heard + 1)[-1] == 2  # a plain duplicate changes nothing
    send(*(ratings[s] for s in (3, 4, 5, 6)))
    assert wait_for(lambda: answered(1)[-1] == 7, 30)
    assert max(answered(1)) == 7
    assert sorted(answered(1)) == answered(1)  # never down
