"""Each kiosk's retained ack is its highest sequence number stored without gaps, also when nothing moved."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg

from devstack.mosquitto import LocalMosquitto
from protocol import Rating, TopicKind, build_topic
from tests.fixtures.fix_collector import CollectorProcess
from tests.fixtures.fix_kiosk_mqtt import Publisher, retained_acks
from tests.fixtures.kiosk_messages import rating, wire
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
