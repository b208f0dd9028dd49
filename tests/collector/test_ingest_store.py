"""The ingest writes against a real PostgreSQL: idempotency, gaps, clock anchors, misuse, quarantine."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from collector.store.misuse import MisuseRule
from protocol import Face, Status
from protocol.messages import NIL_INSTANCE
from tests.fixtures.kiosk_messages import heartbeat, inbound, rating, write

Conn = psycopg.Connection[tuple[object, ...]]
NOW = datetime.now(UTC).replace(microsecond=0)
K1 = ("k1", NIL_INSTANCE)
"""Kiosk k1's sequence: its ratings name no instance."""


def one(conn: Conn, query: str, *params: object) -> Any:
    row = conn.execute(query.encode(), params).fetchone()
    assert row is not None
    return row[0]


def hourly(conn: Conn) -> list[tuple[object, ...]]:
    return conn.execute(
        "SELECT bucket, service_point_id, positive, neutral, negative, misuse, provisional"
        " FROM rollup_hourly ORDER BY bucket, service_point_id"
    ).fetchall()


def test_same_event_three_times_is_stored_once(db: Conn) -> None:
    r = rating("k1", 1, pressed_at=NOW - timedelta(hours=1))
    first = write(db, [inbound("org", r), inbound("org", r)])
    again = write(db, [inbound("org", r)])
    assert (first.stored, first.duplicates, again.stored, again.duplicates) == (1, 1, 0, 1)
    assert one(db, "SELECT count(*) FROM ratings") == 1
    assert one(db, "SELECT count(*) FROM rating_keys") == 1
    assert one(db, "SELECT positive FROM rollup_daily") == 1
    assert again.watermarks == {K1: ("org", 1)}


def test_gap_opens_splits_and_closes_as_late_ratings_arrive(db: Conn) -> None:
    at = NOW - timedelta(days=1)

    def send(*seqs: int) -> int:
        msgs = [inbound("org", rating("k1", s, pressed_at=at + timedelta(minutes=s))) for s in seqs]
        return write(db, msgs).watermarks[K1][1]

    def open_gaps() -> list[tuple[object, ...]]:
        return db.execute(
            "SELECT first_seq, last_seq FROM sequence_gaps WHERE kiosk_id = 'k1' AND closed_at IS NULL ORDER BY 1"
        ).fetchall()

    assert send(1, 2, 7) == 2
    assert open_gaps() == [(3, 6)]
    assert send(4) == 2
    assert open_gaps() == [(3, 3), (5, 6)]
    assert send(3, 6) == 4
    assert open_gaps() == [(5, 5)]
    assert send(5) == 7
    assert open_gaps() == []
    assert one(db, "SELECT acked_seq FROM kiosk_instances WHERE kiosk_id = 'k1'") == 7
    assert one(db, "SELECT count(*) FROM sequence_gaps WHERE closed_at IS NOT NULL") == 4
    # The history keeps when the original gap opened.
    assert one(db, "SELECT count(DISTINCT opened_at) FROM sequence_gaps") == 1


def test_a_quarantined_rating_counts_as_accounted_for(db: Conn) -> None:
    write(db, [inbound("org", rating("k1", 1, pressed_at=NOW - timedelta(minutes=5)))])
    future = rating("k1", 2, pressed_at=NOW + timedelta(days=2))
    result = write(db, [inbound("org", future), inbound("org", rating("k1", 3, pressed_at=NOW))])
    assert result.quarantined == {"absurd_time": 1}
    assert result.watermarks[K1] == ("org", 3)
    row = db.execute("SELECT reason, kiosk_id, seq, event_id FROM quarantine").fetchone()
    assert row == ("absurd_time", "k1", 2, future.event_id)


def test_spoofed_kiosk_is_quarantined_and_accounts_nothing(db: Conn) -> None:
    write(db, [inbound("org", rating("k1", 1, pressed_at=NOW))])
    spoof = inbound("org", rating("k2", 2, pressed_at=NOW), kiosk="k1")
    result = write(db, [spoof])
    assert result.quarantined == {"identity_mismatch": 1}
    assert one(db, "SELECT max_seq FROM kiosk_instances WHERE kiosk_id = 'k1'") == 1


def test_unsynced_rating_is_placed_by_the_heartbeat_of_its_boot(db: Conn) -> None:
    boot = uuid.uuid4()
    hb_at = NOW - timedelta(minutes=30)
    write(db, [inbound("org", heartbeat("k1", boot, uptime_ms=60_000), hb_at)])
    r = rating("k1", 1, synced=False, boot_id=boot, uptime_ms=60_000 + 600_000)
    write(db, [inbound("org", r, NOW)])
    pressed, source = db.execute("SELECT pressed_at, time_source FROM ratings").fetchone() or (None, None)
    assert pressed == hb_at + timedelta(minutes=10)
    assert source == "anchored"


def test_rating_without_anchor_moves_with_its_rollups_when_the_anchor_arrives(db: Conn) -> None:
    boot = uuid.uuid4()
    r = rating("k1", 1, synced=False, boot_id=boot, uptime_ms=1_000, face=Face.NEUTRAL)
    write(db, [inbound("org", r, NOW)])
    assert one(db, "SELECT time_source FROM ratings") == "received"
    assert [row[2:] for row in hourly(db)] == [(0, 1, 0, 0, 1)]
    # The kiosk booted three hours ago: its first heartbeat says so.
    write(db, [inbound("org", heartbeat("k1", boot, uptime_ms=3 * 3600_000), NOW + timedelta(seconds=1))])
    boot_start = NOW + timedelta(seconds=1) - timedelta(hours=3)
    assert one(db, "SELECT pressed_at FROM ratings") == boot_start + timedelta(seconds=1)
    assert hourly(db) == [
        (boot_start.replace(minute=0, second=0) + timedelta(hours=0), "k1-sp", 0, 1, 0, 0, 0),
    ]


def test_only_a_clearly_earlier_anchor_moves_a_boot(db: Conn) -> None:
    boot = uuid.uuid4()
    write(db, [inbound("org", heartbeat("k1", boot, uptime_ms=10_000), NOW)])
    write(
        db, [inbound("org", rating("k1", 1, synced=False, boot_id=boot, uptime_ms=20_000), NOW + timedelta(seconds=30))]
    )
    first = one(db, "SELECT pressed_at FROM ratings")
    assert first == NOW + timedelta(seconds=10)
    # Less network delay by half a second: jitter, ignored.
    write(db, [inbound("org", heartbeat("k1", boot, uptime_ms=70_500), NOW + timedelta(seconds=60))])
    assert one(db, "SELECT pressed_at FROM ratings") == first
    # The first heartbeat had waited 30 s somewhere: the anchor moves, and the rating with it.
    result = write(db, [inbound("org", heartbeat("k1", boot, uptime_ms=150_000), NOW + timedelta(seconds=110))])
    assert result.moved == 1
    assert one(db, "SELECT pressed_at FROM ratings") == first - timedelta(seconds=30)


def test_burst_is_marked_and_marks_move_when_a_late_press_fills_the_window(db: Conn) -> None:
    rule = MisuseRule(max_presses=2, window=timedelta(seconds=60))
    t0 = NOW - timedelta(hours=2)
    red = [
        rating("k1", s, pressed_at=t0 + timedelta(seconds=10 * s), face=Face.NEGATIVE, reason="waiting")
        for s in (2, 3, 4)
    ]
    result = write(db, [inbound("org", r) for r in red], misuse=rule)
    assert result.misuse_marked == 1
    assert db.execute("SELECT seq FROM ratings WHERE misuse ORDER BY seq").fetchall() == [(4,)]
    # Press 1, earlier, arrives late: now 3 and 4 are beyond two presses in a minute.
    late = rating("k1", 1, pressed_at=t0 + timedelta(seconds=10), face=Face.POSITIVE)
    result = write(db, [inbound("org", late)], misuse=rule)
    assert db.execute("SELECT seq FROM ratings WHERE misuse ORDER BY seq").fetchall() == [(3,), (4,)]
    assert one(db, "SELECT positive + neutral + negative FROM rollup_daily") == 2
    assert one(db, "SELECT misuse FROM rollup_daily") == 2
    assert one(db, "SELECT n FROM reason_daily") == 1


def test_a_calm_batch_and_one_that_places_nothing_count_no_misuse(db: Conn) -> None:
    """What a batch reports feeds the misuse counters of /metrics: nothing marked or cleared when nobody mashes
    a button, nor when the batch places no rating at all (a heartbeat, a duplicate)."""
    rule = MisuseRule(max_presses=2, window=timedelta(seconds=60))
    press = inbound("org", rating("k1", 1, pressed_at=NOW - timedelta(minutes=5)))
    calm = write(db, [press], misuse=rule)
    assert calm.stored == 1
    assert (calm.misuse_marked, calm.misuse_cleared) == (0, 0)
    beat = inbound("org", heartbeat("k1", uuid.uuid4(), uptime_ms=60_000, synced=True, last_seq=1))
    for nothing_placed in ([beat], [press]):
        result = write(db, nothing_placed, misuse=rule)
        assert result.stored == 0
        assert (result.misuse_marked, result.misuse_cleared) == (0, 0)


def test_the_misuse_recount_is_planned_for_each_batch_never_prepared(db: Conn) -> None:
    """A generic plan of the recount read every recent rating per kiosk: at 1,000 ratings/s from 500 kiosks
    one batch took seconds (bench/e2e_latency.py). psycopg prepares a statement on its fifth run."""
    rule = MisuseRule(max_presses=5, window=timedelta(seconds=60))
    for s in range(1, 9):
        write(db, [inbound("org", rating("k1", s, pressed_at=NOW - timedelta(minutes=10 - s)))], misuse=rule)
    prepared = [str(row[0]) for row in db.execute("SELECT statement FROM pg_prepared_statements").fetchall()]
    assert prepared, "the batch's other statements are prepared: without them this test would see nothing"
    assert not [s for s in prepared if "RANGE BETWEEN" in s]
    assert one(db, "SELECT count(*) FROM ratings") == 8


def test_kiosk_state_from_heartbeat_and_status(db: Conn) -> None:
    boot = uuid.uuid4()
    write(db, [inbound("org", heartbeat("k1", boot, 5_000, last_seq=3), NOW)])
    write(db, [inbound("org", Status(state="online", version="1.0"), NOW, kiosk="k1")])
    row = db.execute("SELECT online, last_seen_at, last_heartbeat ->> 'last_seq' FROM kiosks").fetchone()
    assert row == (True, NOW, "3")


def test_unknown_kiosk_is_quarantined_when_auto_registration_is_off(db: Conn) -> None:
    result = write(db, [inbound("org", rating("k9", 1, pressed_at=NOW))], auto_register=False)
    assert result.quarantined == {"unknown_kiosk": 1}
    assert one(db, "SELECT count(*) FROM ratings") == 0


def test_retention_on_plain_postgresql_deletes_raw_rows_only(db: Conn) -> None:
    from collector.store.maintenance import prune

    old = rating("k1", 1, pressed_at=NOW - timedelta(days=101))
    write(db, [inbound("org", old, NOW - timedelta(days=100))])
    write(db, [inbound("org", rating("k1", 2, pressed_at=NOW), NOW)])
    write(db, [inbound("org", rating("k1", 3, pressed_at=NOW + timedelta(days=9)), NOW - timedelta(days=100))])
    assert prune(db, "postgresql", 30, 30) == {"ratings": 1, "rating_keys": 0, "kiosk_boots": 0, "quarantine": 1}
    assert one(db, "SELECT count(*) FROM ratings") == 1
    assert one(db, "SELECT sum(positive) FROM rollup_daily") == 2, "rollups keep what raw rows no longer have"
    result = write(db, [inbound("org", old, NOW)])
    assert (result.stored, result.duplicates) == (0, 1), "the event key outlives the raw row"
    assert prune(db, "postgresql", 0, 0) == {"kiosk_boots": 0}, "0 keeps everything"
