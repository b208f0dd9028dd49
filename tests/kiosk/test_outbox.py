"""The durable outbox: sequence numbers, forgetting only what the watermark covers, and its failure modes."""

from __future__ import annotations

import sqlite3
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kiosk.core.outbox import Outbox, OutboxError, peek
from protocol import Face, KioskClock, Rating

BOOT = uuid.uuid4()

DEVICE = "machine-id:test-device"


def rating(seq: int, kiosk: str = "k1", face: Face = Face.POSITIVE) -> Rating:
    return Rating(
        event_id=uuid.uuid4(),
        kiosk_id=kiosk,
        seq=seq,
        service_point="sp-1",
        face=face,
        pressed_at=datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
        clock=KioskClock(boot_id=BOOT, uptime_ms=1000 * seq, synced=True),
    )


def fill(outbox: Outbox, n: int) -> list[Rating]:
    return [outbox.append(rating) for _ in range(n)]


def test_sequence_numbers_continue_across_restarts(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.sqlite3", "k1", DEVICE)
    assert [r.seq for r in fill(outbox, 3)] == [1, 2, 3]
    outbox.acknowledge(3, outbox.instance)
    outbox.close()
    reopened = Outbox(tmp_path / "o.sqlite3", "k1", DEVICE)
    assert [r.seq for r in fill(reopened, 2)] == [4, 5]
    stats = reopened.stats()
    assert (stats.last_seq, stats.watermark, stats.depth) == (5, 3, 2)
    reopened.close()


def test_a_press_is_on_disk_when_append_returns(tmp_path: Path) -> None:
    path = tmp_path / "o.sqlite3"
    outbox = Outbox(path, "k1", DEVICE)
    stored = outbox.append(rating)
    # Another connection (another process would do the same) sees it committed, payload as sent on the wire.
    with sqlite3.connect(path) as other:
        row = other.execute("SELECT seq, event_id, payload FROM outbox").fetchone()
        modes = (
            other.execute("PRAGMA journal_mode").fetchone()[0],
            outbox._connection().execute("PRAGMA synchronous").fetchone()[0],
        )
    assert row[0] == 1
    assert row[1] == str(stored.event_id)
    assert Rating.model_validate_json(row[2]) == stored
    assert modes == ("wal", 2)  # WAL, synchronous=FULL
    outbox.close()


def test_watermark_forgets_only_what_it_covers_and_never_goes_back(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.sqlite3", "k1", DEVICE)
    fill(outbox, 5)
    assert outbox.acknowledge(2, outbox.instance).forgotten == 2
    assert [p.seq for p in outbox.pending(1, 10)] == [3, 4, 5]
    older = outbox.acknowledge(1, outbox.instance)
    assert not older.accepted
    assert outbox.acknowledge(2, outbox.instance).accepted is False
    assert outbox.stats().watermark == 2
    assert outbox.acknowledge(5, outbox.instance).forgotten == 3
    assert outbox.stats().depth == 0
    outbox.close()


def test_pending_reads_in_sequence_order_from_a_cursor(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.sqlite3", "k1", DEVICE)
    fill(outbox, 10)
    assert [p.seq for p in outbox.pending(4, 3)] == [4, 5, 6]
    assert outbox.pending(11, 5) == []
    outbox.close()


def test_watermark_beyond_our_numbering_renumbers_pending_and_forgets_nothing(tmp_path: Path) -> None:
    """A reinstalled kiosk (fresh outbox, known id): the collector already holds seq 1..40."""
    outbox = Outbox(tmp_path / "o.sqlite3", "k1", DEVICE)
    taken = fill(outbox, 3)
    outcome = outbox.acknowledge(40, outbox.instance)
    assert outcome.accepted
    assert outcome.renumbered == 3
    assert outcome.forgotten == 0
    pending = [Rating.model_validate_json(p.payload) for p in outbox.pending(1, 10)]
    assert [(r.seq, r.event_id) for r in pending] == [(41 + i, r.event_id) for i, r in enumerate(taken)]
    assert outbox.append(rating).seq == 44
    assert outbox.stats().last_seq == 44
    outbox.close()


def test_outbox_of_another_kiosk_is_refused(tmp_path: Path) -> None:
    Outbox(tmp_path / "o.sqlite3", "k1", DEVICE).close()
    with pytest.raises(OutboxError, match="belongs to kiosk 'k1', not 'k2'"):
        Outbox(tmp_path / "o.sqlite3", "k2", DEVICE)


def test_damaged_outbox_is_refused_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "o.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(OutboxError, match="cannot open the outbox"):
        Outbox(path, "k1", DEVICE)
    assert path.exists()


def test_a_failed_write_raises_and_stores_nothing(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.sqlite3", "k1", DEVICE)

    def broken(seq: int) -> Rating:
        raise sqlite3.OperationalError("disk I/O error")

    with pytest.raises(OutboxError, match="cannot store the press"):
        outbox.append(broken)
    assert outbox.stats().last_seq == 0
    assert outbox.append(rating).seq == 1
    outbox.close()


def test_bulk_append_numbers_after_the_last(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.sqlite3", "k1", DEVICE)
    fill(outbox, 2)
    assert outbox.append_many(rating(999) for _ in range(5)) == 5
    assert [p.seq for p in outbox.pending(1, 10)] == [1, 2, 3, 4, 5, 6, 7]
    assert Rating.model_validate_json(outbox.pending(7, 1)[0].payload).seq == 7
    outbox.close()


def test_peek_reads_without_writing(tmp_path: Path) -> None:
    path = tmp_path / "o.sqlite3"
    assert peek(path) is None
    outbox = Outbox(path, "k1", DEVICE)
    fill(outbox, 4)
    outbox.acknowledge(1, outbox.instance)
    stats = peek(path)
    assert stats is not None
    assert (stats.last_seq, stats.watermark, stats.depth) == (4, 1, 3)
    outbox.close()


def test_config_is_kept(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.sqlite3", "k1", DEVICE)
    assert outbox.load_config() is None
    outbox.save_config(b'{"revision": 1}')
    outbox.close()
    reopened = Outbox(tmp_path / "o.sqlite3", "k1", DEVICE)
    assert reopened.load_config() == b'{"revision": 1}'
    reopened.close()
