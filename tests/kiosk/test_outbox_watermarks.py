"""The outbox at its edges: a watermark exactly at the last number, the end of the numbering, what the heartbeat
reports as held, the age of the oldest pending press, threads, and what it logs when it renumbers."""

from __future__ import annotations

import logging
import sqlite3
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kiosk.core.device import ExclusiveUse
from kiosk.core.outbox import SCHEMA, AckOutcome, Outbox, OutboxError, OutboxFull, OutboxStats, adopt, peek
from protocol import Rating
from protocol.messages import MAX_SEQ
from tests.fixtures import kiosk_messages

DEVICE = "machine-id:edges"
BOOTS = [uuid.uuid4() for _ in range(3)]


def rating(seq: int) -> Rating:
    """Presses of three boots, each a second apart (the outbox numbers them: `seq` is its choice)."""
    at = datetime(2026, 3, 2, 9, 30, seq % 60, tzinfo=UTC)
    return kiosk_messages.rating("k1", seq, pressed_at=at, boot_id=BOOTS[seq % 3], uptime_ms=1000 * (seq % 1000))


@pytest.fixture
def outbox(tmp_path: Path) -> Outbox:
    return Outbox(tmp_path / "o.sqlite3", "k1", DEVICE)


def test_a_watermark_at_the_last_number_forgets_everything_and_renumbers_nothing(outbox: Outbox) -> None:
    for _ in range(3):
        outbox.append(rating)
    outcome = outbox.acknowledge(3, outbox.instance)
    assert (outcome.accepted, outcome.forgotten, outcome.renumbered) == (True, 3, 0)
    stats = outbox.stats()
    assert (stats.last_seq, stats.watermark, stats.depth, stats.oldest, stats.lowest_seq) == (3, 3, 0, None, None)
    assert stats.lowest_held == 4
    assert stats.delivered
    assert outbox.append(rating).seq == 4
    outbox.close()


def test_the_oldest_pending_press_and_the_lowest_number_held(outbox: Outbox) -> None:
    taken = [outbox.append(rating) for _ in range(4)]
    outbox.acknowledge(2, outbox.instance)
    stats = outbox.stats()
    third = taken[2]
    assert stats.instance == outbox.instance
    assert stats.lowest_seq == 3
    assert stats.lowest_held == 3
    assert stats.oldest is not None
    assert (stats.oldest.boot_id, stats.oldest.uptime_ms) == (third.clock.boot_id, third.clock.uptime_ms)
    assert stats.oldest.wall_s == third.pressed_at.timestamp()
    assert not stats.delivered
    outbox.close()


def test_after_a_renumbering_the_next_watermark_forgets_the_renumbered_ratings(outbox: Outbox) -> None:
    taken = [outbox.append(rating) for _ in range(2)]
    assert outbox.acknowledge(40, outbox.instance).renumbered == 2
    assert outbox.stats().watermark == 40
    assert not outbox.acknowledge(40, outbox.instance).accepted
    outcome = outbox.acknowledge(41, outbox.instance)
    assert (outcome.accepted, outcome.forgotten, outcome.renumbered) == (True, 1, 0)
    [left] = outbox.pending(0, 10)
    assert left.seq == 42
    assert Rating.model_validate_json(left.payload).event_id == taken[1].event_id
    outbox.close()


def test_the_numbering_ends_at_the_protocols_largest_number(outbox: Outbox) -> None:
    outbox.acknowledge(MAX_SEQ - 1, outbox.instance)
    assert outbox.append(rating).seq == MAX_SEQ
    assert outbox.stats().lowest_held == MAX_SEQ
    beyond = rating(1)  # numbered by the outbox past what the protocol allows
    with pytest.raises(OutboxError, match="sequence numbers exhausted"):
        outbox.append(lambda seq: beyond.model_copy(update={"seq": seq}))
    with pytest.raises(OutboxError, match="sequence numbers exhausted"):
        outbox.append_many([beyond])
    assert outbox.stats().last_seq == MAX_SEQ
    outbox.acknowledge(MAX_SEQ, outbox.instance)
    assert outbox.stats().lowest_held == MAX_SEQ  # never a number the protocol refuses
    outbox.close()


def test_appending_nothing_changes_nothing(outbox: Outbox) -> None:
    outbox.append(rating)
    assert outbox.append_many([]) == 0
    assert outbox.stats().last_seq == 1
    outbox.close()


def test_a_failed_bulk_write_is_an_outbox_error_and_stores_nothing(outbox: Outbox) -> None:
    outbox.append(rating)
    same = rating(1)
    with pytest.raises(OutboxError, match="cannot store ratings"):
        outbox.append_many([same, same])  # one event id twice: refused by the outbox's own constraint
    assert [p.seq for p in outbox.pending(0, 10)] == [1]
    assert outbox.stats().last_seq == 1
    outbox.close()


def test_a_newer_outbox_is_refused_and_this_versions_own_reopens(tmp_path: Path) -> None:
    path = tmp_path / "o.sqlite3"
    Outbox(path, "k1", DEVICE).close()
    Outbox(path, "k1", DEVICE).close()  # this version's own schema opens again
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 3")
    conn.close()
    with pytest.raises(OutboxError, match=r"newer kiosk version \(schema 3\)"):
        Outbox(path, "k1", DEVICE)


def test_a_folder_that_cannot_hold_the_outbox_is_an_outbox_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(OutboxError, match="cannot open the outbox"):
        Outbox(blocker / "o.sqlite3", "k1", DEVICE)


def test_every_threads_connection_sees_the_others_and_closes_with_the_outbox(outbox: Outbox) -> None:
    seen: list[int] = []

    def press() -> None:
        outbox.append(rating)
        seen.extend(p.seq for p in outbox.pending(0, 10))

    worker = threading.Thread(target=press)
    worker.start()
    worker.join()
    assert seen == [1]
    assert [p.seq for p in outbox.pending(0, 10)] == [1]
    outbox.close()  # closes the worker's connection too, from this thread
    reopened = Outbox(outbox.path, "k1", DEVICE)
    assert reopened.stats().last_seq == 1
    reopened.close()


def test_peek_names_the_instance_and_ignores_an_outbox_not_set_up(tmp_path: Path) -> None:
    path = tmp_path / "o.sqlite3"
    sqlite3.connect(path).close()  # created by another process that has not set it up yet
    assert peek(path) is None
    path.unlink()
    outbox = Outbox(path, "k1", DEVICE)
    outbox.append(rating)
    stats = peek(path)
    assert stats is not None
    assert (stats.instance, stats.last_seq, stats.watermark, stats.depth) == (outbox.instance, 1, 0, 1)
    outbox.close()


def test_renumbering_is_logged_only_when_there_was_something_to_renumber(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "o.sqlite3"
    with caplog.at_level(logging.WARNING, logger="kiosk.core.outbox"):
        fresh = Outbox(path, "k1", "machine-id:old")
        fresh.append(rating)
        fresh.close()
        assert caplog.records == []
        stats = adopt(path, "k1", DEVICE)
    assert stats.last_seq == 1
    assert stats.depth == 1
    [record] = caplog.records
    assert "renumbered from 1" in record.getMessage()
    assert str(fresh.instance) in record.getMessage()


def test_bulk_numbers_are_kept_for_the_next_press(outbox: Outbox) -> None:
    outbox.append(rating)
    assert outbox.append_many(rating(1) for _ in range(3)) == 3
    assert outbox.stats().last_seq == 4
    assert outbox.append(rating).seq == 5
    outbox.close()


def test_a_watermark_for_another_instance_changes_nothing_and_says_so(outbox: Outbox) -> None:
    outbox.append(rating)
    assert outbox.acknowledge(1, uuid.uuid4()) == AckOutcome(accepted=False)
    assert outbox.acknowledge(1, None) == AckOutcome(accepted=False)
    assert outbox.acknowledge(1, outbox.instance) == AckOutcome(accepted=True, forgotten=1)
    assert outbox.acknowledge(1, outbox.instance) == AckOutcome(accepted=False)
    outbox.close()


def test_an_adopted_outbox_belongs_to_its_new_device(tmp_path: Path) -> None:
    path = tmp_path / "o.sqlite3"
    Outbox(path, "k1", "machine-id:old").close()
    adopt(path, "k1", DEVICE)
    Outbox(path, "k1", DEVICE).close()
    with pytest.raises(OutboxError, match="created on another device"):
        Outbox(path, "k1", "machine-id:old")


def test_adopting_an_empty_outbox_is_logged_too(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "o.sqlite3"
    Outbox(path, "k1", "machine-id:old").close()
    with caplog.at_level(logging.WARNING, logger="kiosk.core.outbox"):
        adopt(path, "k1", DEVICE)
    [record] = caplog.records
    assert "0 pending rating(s) renumbered" in record.getMessage()


def open_files(path: Path) -> int:
    fds = Path("/proc/self/fd")
    return sum(1 for fd in fds.iterdir() if str(fd.resolve(strict=False)).startswith(str(path)))


def test_a_thread_keeps_one_connection_however_many_presses(outbox: Outbox) -> None:
    """A kiosk runs for months: a connection per press would run out of file descriptors."""
    outbox.append(rating)
    before = open_files(outbox.path)
    for _ in range(60):
        outbox.append(rating)
        outbox.stats()
        outbox.pending(0, 1)
    assert open_files(outbox.path) == before
    outbox.close()


def press_until_it_fails(outbox: Outbox) -> None:
    for _ in range(1000):
        outbox.append(rating)


def test_a_full_disk_is_outbox_full_and_other_errors_are_not(outbox: Outbox) -> None:
    conn = outbox._connection()
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")  # the database may not grow: SQLite's SQLITE_FULL
    with pytest.raises(OutboxFull, match="cannot store the press"):
        press_until_it_fails(outbox)
    conn.execute("PRAGMA max_page_count = 1073741823")
    stored = outbox.stats().last_seq
    assert outbox.append(rating).seq == stored + 1  # room again: nothing was lost or skipped

    def broken(seq: int) -> Rating:
        raise sqlite3.OperationalError("disk I/O error")

    with pytest.raises(OutboxError) as caught:
        outbox.append(broken)
    assert not isinstance(caught.value, OutboxFull)
    outbox.close()


def test_peek_at_an_outbox_being_set_up_or_of_version_1(tmp_path: Path) -> None:
    """Another process may peek between the outbox's schema and its first state rows, or at a version 1 outbox
    (one sequence per kiosk, no instance) that its kiosk has not opened since the upgrade."""
    path = tmp_path / "o.sqlite3"
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA)
    conn.commit()
    assert peek(path) == OutboxStats(last_seq=0, watermark=0, depth=0, oldest=None, instance=None)
    conn.execute("INSERT INTO state VALUES ('kiosk_id', 'k1'), ('last_seq', 7), ('watermark', 5)")
    conn.commit()
    conn.close()
    assert peek(path) == OutboxStats(last_seq=7, watermark=5, depth=0, oldest=None, instance=None)


def test_damage_found_by_sqlites_own_check_is_named_and_the_file_kept(tmp_path: Path) -> None:
    path = tmp_path / "o.sqlite3"
    outbox = Outbox(path, "k1", DEVICE)
    outbox.append_many(rating(1) for _ in range(300))
    outbox.close()
    data = bytearray(path.read_bytes())
    leaf = next(page for page in range(1, len(data) // 4096) if data[page * 4096] == 13)  # a table leaf page
    data[leaf * 4096 + 7] = 77  # its count of fragmented bytes, wrong: readable, but PRAGMA quick_check objects
    path.write_bytes(data)
    with pytest.raises(OutboxError, match=r"(?s)is damaged \(.*Fragmentation.*\); keep it for recovery"):
        Outbox(path, "k1", DEVICE)
    assert path.read_bytes() == data


def test_an_outbox_in_a_new_folder_tree_is_created(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "var" / "lib" / "kiosk" / "o.sqlite3", "k1", DEVICE)
    assert outbox.append(rating).seq == 1
    outbox.close()


def test_the_lock_is_the_one_every_version_takes(tmp_path: Path) -> None:
    """A kiosk of another version still running on the same data_dir (an upgrade gone wrong) holds
    `<outbox>.lock`: this one must see it."""
    path = tmp_path / "o.sqlite3"
    other = ExclusiveUse(tmp_path / "o.sqlite3.lock")
    with pytest.raises(OutboxError, match="run one kiosk per data_dir"):
        Outbox(path, "k1", DEVICE)
    other.release()
    Outbox(path, "k1", DEVICE).close()
