"""An outbox is one instance on one device: its watermark is its own, a copy elsewhere is refused, one process."""

from __future__ import annotations

import multiprocessing
import sqlite3
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kiosk.core.device import local_device_id
from kiosk.core.outbox import Outbox, OutboxError
from protocol import Face, KioskClock, Rating, encode

HERE = "machine-id:aaaa"
ELSEWHERE = "machine-id:bbbb"


def rating(seq: int = 1) -> Rating:
    return Rating(
        event_id=uuid.uuid4(),
        kiosk_id="k1",
        seq=seq,
        service_point="sp-1",
        face=Face.POSITIVE,
        pressed_at=datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
        clock=KioskClock(boot_id=uuid.uuid4(), uptime_ms=1000, synced=True),
    )


def test_every_rating_carries_the_outbox_instance_kept_across_restarts(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.sqlite3", "k1", HERE)
    instance = outbox.instance
    taken = outbox.append(lambda seq: rating(seq))
    outbox.append_many([rating(), rating()])
    outbox.close()
    again = Outbox(tmp_path / "o.sqlite3", "k1", HERE)
    assert again.instance == instance
    assert taken.instance == instance
    assert {Rating.model_validate_json(p.payload).instance for p in again.pending(1, 10)} == {instance}
    again.close()
    assert Outbox(tmp_path / "other.sqlite3", "k1", HERE).instance != instance  # a new outbox, a new instance


def test_a_watermark_of_another_instance_or_of_none_forgets_nothing(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.sqlite3", "k1", HERE)
    for _ in range(5):
        outbox.append(rating)
    for foreign in (uuid.uuid4(), None):
        outcome = outbox.acknowledge(5, foreign)
        assert not outcome.accepted
        assert outbox.stats().depth == 5
    assert outbox.acknowledge(3, outbox.instance).forgotten == 3
    assert outbox.stats().depth == 2
    outbox.close()


def test_an_outbox_copied_to_another_device_is_refused_in_one_line(tmp_path: Path) -> None:
    Outbox(tmp_path / "o.sqlite3", "k1", HERE).close()
    with pytest.raises(OutboxError) as refused:
        Outbox(tmp_path / "o.sqlite3", "k1", ELSEWHERE)
    message = str(refused.value)
    assert "was created on another device (machine-id:aaaa; this is machine-id:bbbb)" in message
    assert "--adopt-outbox" in message
    assert "\n" not in message
    Outbox(tmp_path / "o.sqlite3", "k1", HERE).close()  # refusing changed nothing: the original still opens


def test_adopting_makes_a_new_instance_numbered_from_one_with_the_same_events(tmp_path: Path) -> None:
    old = Outbox(tmp_path / "o.sqlite3", "k1", HERE)
    taken = [old.append(rating) for _ in range(6)]
    old.acknowledge(2, old.instance)
    old.close()
    adopted = Outbox(tmp_path / "o.sqlite3", "k1", ELSEWHERE, adopt=True)
    assert adopted.instance != old.instance
    pending = [Rating.model_validate_json(p.payload) for p in adopted.pending(1, 10)]
    assert [(r.seq, r.event_id, r.instance) for r in pending] == [
        (i, r.event_id, adopted.instance) for i, r in enumerate(taken[2:], start=1)
    ]
    stats = adopted.stats()
    assert (stats.last_seq, stats.watermark, stats.depth) == (4, 0, 4)
    assert adopted.append(rating).seq == 5
    adopted.close()
    Outbox(tmp_path / "o.sqlite3", "k1", ELSEWHERE).close()  # now it is this device's
    with pytest.raises(OutboxError, match="created on another device"):
        Outbox(tmp_path / "o.sqlite3", "k1", HERE)


def test_a_version_1_outbox_becomes_an_instance_and_keeps_its_pending_ratings(tmp_path: Path) -> None:
    path = tmp_path / "o.sqlite3"
    old = [rating(seq) for seq in (41, 42, 43)]
    with sqlite3.connect(path) as conn:
        conn.executescript(
            "CREATE TABLE outbox (seq INTEGER PRIMARY KEY, event_id TEXT NOT NULL UNIQUE, payload BLOB NOT NULL,"
            " boot_id TEXT NOT NULL, uptime_ms INTEGER NOT NULL, wall_s REAL NOT NULL);"
            "CREATE TABLE state (key TEXT PRIMARY KEY, value BLOB);"
            "INSERT INTO state VALUES ('kiosk_id', 'k1'), ('last_seq', 43), ('watermark', 40);"
            "PRAGMA user_version = 1;"
        )
        conn.executemany(
            "INSERT INTO outbox VALUES (?, ?, ?, ?, ?, ?)",
            [(r.seq, str(r.event_id), encode(r), str(r.clock.boot_id), 1000, 0.0) for r in old],
        )
    outbox = Outbox(path, "k1", HERE)
    pending = [Rating.model_validate_json(p.payload) for p in outbox.pending(1, 10)]
    assert [(r.seq, r.event_id, r.instance) for r in pending] == [
        (1, old[0].event_id, outbox.instance),
        (2, old[1].event_id, outbox.instance),
        (3, old[2].event_id, outbox.instance),
    ]
    assert outbox.append(rating).seq == 4
    outbox.close()


def _open_and_report(path: Path, queue: multiprocessing.Queue[str]) -> None:
    try:
        Outbox(path, "k1", HERE)
    except OutboxError as exc:
        queue.put(str(exc))
    else:
        queue.put("opened")


def test_a_second_process_on_the_same_outbox_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "o.sqlite3"
    first = Outbox(path, "k1", HERE)
    context = multiprocessing.get_context("spawn")
    queue: multiprocessing.Queue[str] = context.Queue()
    other = context.Process(target=_open_and_report, args=(path, queue))
    other.start()
    answer = queue.get(timeout=60)
    other.join(10)
    assert f"is in use by another kiosk process (pid {multiprocessing.current_process().pid})" in answer
    assert "run one kiosk per data_dir" in answer
    first.close()
    with pytest.raises(OutboxError, match="in use"):  # the same process, twice: also one too many
        Outbox(path, "k1", HERE), Outbox(path, "k1", HERE)


def test_this_device_is_named_by_its_machine_id_and_board_serial(tmp_path: Path) -> None:
    machine_id, serial = tmp_path / "machine-id", tmp_path / "serial-number"
    machine_id.write_text("3d1219c7c4c5\n")
    serial.write_bytes(b"10000000abcdef01\x00")
    assert local_device_id((machine_id,), serial) == "machine-id:3d1219c7c4c5,board:10000000abcdef01"
    assert local_device_id((machine_id,), tmp_path / "none") == "machine-id:3d1219c7c4c5"
    machine_id.write_text("uninitialized\n")  # an image prepared for many devices: the id is drawn at first boot
    assert local_device_id((machine_id,), tmp_path / "none") == "unknown"
