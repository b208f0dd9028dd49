"""The lost-number rule in the database: a heartbeat closes as lost what its instance no longer holds, the
watermark moves on, the loss is kept and counted, and a lost number that arrives after all is found."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import psycopg

from collector.ingest.messages import Inbound
from tests.fixtures.kiosk_messages import BOOT, heartbeat, inbound, rating, write

Conn = psycopg.Connection[tuple[object, ...]]
INSTANCE = uuid.UUID("3f2a9c64-1b7e-4d0a-8c55-0e9d7b6a4f21")
START = datetime.now(UTC) - timedelta(hours=5)


def ratings(*seqs: int) -> list[Inbound]:
    return [
        inbound(
            "org", rating("kl", s, pressed_at=START + timedelta(minutes=s)).model_copy(update={"instance": INSTANCE})
        )
        for s in seqs
    ]


def beat(last_seq: int, depth: int, lowest: int | None) -> Inbound:
    hb = heartbeat("kl", BOOT, 10_000, synced=True, last_seq=last_seq)
    return inbound(
        "org", hb.model_copy(update={"instance": INSTANCE, "outbox_depth": depth, "lowest_held_seq": lowest})
    )


def state(db: Conn) -> tuple[object, ...]:
    """(watermark, open gaps, lost ranges) of the instance."""
    row = db.execute("SELECT max_seq, acked_seq FROM kiosk_instances WHERE instance = %s", (INSTANCE,)).fetchone()
    assert row
    gaps = db.execute("SELECT first_seq, last_seq FROM sequence_gaps WHERE closed_at IS NULL ORDER BY 1").fetchall()
    lost = db.execute("SELECT first_seq, last_seq FROM sequence_gaps WHERE lost_at IS NOT NULL ORDER BY 1").fetchall()
    return row[1], gaps, lost


def test_a_heartbeat_closes_what_the_kiosk_no_longer_holds_as_lost(db: Conn) -> None:
    write(db, ratings(*range(1, 11)))  # the database as the backup had it
    result = write(db, ratings(31, 32, 33, 34, 35))  # after the restore: the kiosk resends what it holds
    assert state(db) == (10, [(11, 30)], [])
    assert not result.lost
    result = write(db, [beat(35, 5, 31)])
    assert result.lost == {("kl", INSTANCE): [(11, 30)]}
    assert result.watermarks[("kl", INSTANCE)] == ("org", 35)
    assert state(db) == (35, [], [(11, 30)])

    # A lost number arriving after all (still queued at the broker) is stored and found, not a reused number.
    result = write(db, ratings(20))
    assert result.found == 1
    assert result.stored == 1
    assert not result.identity_conflicts
    assert state(db) == (35, [], [(11, 19), (21, 30)])
    assert db.execute("SELECT count(*) FROM ratings WHERE kiosk_id = 'kl'").fetchone() == (16,)


def test_a_heartbeat_never_releases_what_the_kiosk_holds(db: Conn) -> None:
    write(db, ratings(1, 2, 3, 7, 8))
    write(db, [beat(8, 6, 3)])  # it holds 3..8: nothing is missing below 3
    assert state(db) == (3, [(4, 6)], [])
    write(db, [beat(8, 0, None)])  # a kiosk that does not say what it holds: nothing is closed on its word
    assert state(db) == (3, [(4, 6)], [])
    write(db, [beat(8, 3, 6)])  # it deleted 4 and 5 (a watermark of the lost database), holds 6..8
    assert state(db) == (5, [(6, 6)], [(4, 5)])
    assert write(db, [beat(8, 3, 6)]).lost == {}
    write(db, ratings(6))
    assert state(db) == (8, [], [(4, 5)])


def test_no_release_while_the_kiosk_id_has_an_identity_conflict(db: Conn) -> None:
    write(db, ratings(1, 5))
    db.execute("UPDATE kiosks SET identity_conflict_since = now(), identity_conflict_reason = 'two_instances'")
    write(db, [beat(5, 0, 6)])
    assert state(db) == (1, [(2, 4)], [])
