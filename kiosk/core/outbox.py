"""The durable outbox: every accepted press, on disk before the citizen is thanked, until the collector has it.

SQLite in WAL mode with `synchronous=FULL`: a commit returns only after the WAL is
fsync'ed, so a press survives a power cut the instant after "thank you" (NORMAL
would survive a crash of this process but could lose the last presses on power
loss). The sequence number is assigned in the same transaction, so it never
repeats across restarts. Rows are deleted only when the collector's ack watermark
("stored without gaps up to N") for this outbox's own instance covers them.

Each outbox draws a random instance id when it is created and records the device
it was created on: numbers count within the instance, so a second device behind the
same kiosk id (another outbox, another instance) can never be released by our
watermark, nor we by its. A copy of this file on another device is refused (it
would share our instance); `adopt()` makes it a new instance on purpose.

Each thread gets its own connection (WAL lets the publisher read while a press is
written); writers take the lock up front (`BEGIN IMMEDIATE`) and wait for each other.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from kiosk.core.device import ExclusiveUse, FolderInUse
from kiosk.core.outbox_view import AckOutcome, Oldest, OutboxStats, Pending, peek
from protocol import Rating, encode
from protocol.messages import MAX_SEQ

__all__ = ["AckOutcome", "Oldest", "Outbox", "OutboxError", "OutboxFull", "OutboxStats", "Pending", "adopt", "peek"]

log = logging.getLogger(__name__)

SCHEMA_VERSION = 2
"""1: one sequence per kiosk. 2: per instance (`state.instance`, `state.device`); a version 1 outbox becomes an
instance when it is first opened, its pending ratings numbered from 1 (see `_new_instance`)."""
SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq        INTEGER PRIMARY KEY,   -- the rating's per-kiosk sequence number
    event_id   TEXT NOT NULL UNIQUE,
    payload    BLOB NOT NULL,         -- the Rating exactly as it goes on the wire
    boot_id    TEXT NOT NULL,         -- clock reading at the press, for the age of what is pending
    uptime_ms  INTEGER NOT NULL,
    wall_s     REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS state (
    key    TEXT PRIMARY KEY,          -- kiosk_id, instance, device, last_seq, watermark, config
    value  BLOB
);
"""


class OutboxError(RuntimeError):
    """The outbox cannot be used (corrupt, belongs to another kiosk or device, in use, disk full)."""


class OutboxFull(OutboxError):
    """The disk under the outbox is full: no press can be stored until staff make room."""


def adopt(path: Path, kiosk_id: str, device: str) -> OutboxStats:
    """Make an outbox created on another device this device's, as a new instance (see `Outbox`)."""
    outbox = Outbox(path, kiosk_id, device, adopt=True)
    try:
        return outbox.stats()
    finally:
        outbox.close()


class Outbox:
    def __init__(self, path: Path, kiosk_id: str, device: str, *, adopt: bool = False) -> None:
        """Open (or create) the outbox of `kiosk_id` on `device` (see `kiosk.core.device.local_device_id`).

        `adopt`: the outbox was made on another device and this one takes it over (a replacement restored
        from a backup): it becomes a new instance, its pending ratings numbered from 1 (same event ids).
        """
        self.path = path
        self.kiosk_id = kiosk_id
        self.device = device
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._all_lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._lock = ExclusiveUse(path.with_name(path.name + ".lock"))
        except FolderInUse as exc:
            raise OutboxError(f"cannot open the outbox {path}: {exc}; run one kiosk per data_dir") from None
        except OSError as exc:
            raise OutboxError(f"cannot open the outbox {path}: {exc}") from exc
        try:
            self.instance = self._setup(adopt)
        except (sqlite3.Error, OSError) as exc:
            self.close()
            raise OutboxError(f"cannot open the outbox {path}: {exc}") from exc
        except OutboxError:
            self.close()
            raise

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            self._local.conn = conn
            with self._all_lock:
                self._all.append(conn)
        return conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        conn = self._connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            if conn.in_transaction:  # SQLite has already rolled back after some errors (SQLITE_FULL)
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def _setup(self, adopt: bool) -> uuid.UUID:
        conn = self._connection()
        problem = conn.execute("PRAGMA quick_check").fetchone()[0]
        if problem != "ok":
            raise OutboxError(f"the outbox {self.path} is damaged ({problem}); keep it for recovery, do not delete it")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise OutboxError(f"the outbox {self.path} was written by a newer kiosk version (schema {version})")
        conn.executescript(SCHEMA)  # idempotent; executescript commits on its own
        with self._write() as tx:
            tx.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            tx.execute("INSERT OR IGNORE INTO state VALUES ('kiosk_id', ?)", (self.kiosk_id,))
            tx.execute("INSERT OR IGNORE INTO state VALUES ('last_seq', 0), ('watermark', 0)")
            owner = tx.execute("SELECT value FROM state WHERE key = 'kiosk_id'").fetchone()[0]
            if owner != self.kiosk_id:
                raise OutboxError(
                    f"the outbox {self.path} belongs to kiosk {owner!r}, not {self.kiosk_id!r}: "
                    "give each kiosk its own data_dir"
                )
            state = dict(tx.execute("SELECT key, value FROM state WHERE key IN ('instance', 'device')"))
            made_on = state.get("device")
            if made_on is not None and made_on != self.device and not adopt:
                raise OutboxError(
                    f"the outbox {self.path} was created on another device ({made_on}; this is {self.device}): "
                    "a copied outbox must not be used, it would share that device's sequence numbers. "
                    "Move it aside for a fresh one, or, if this device replaces that one, take over its pending "
                    "ratings with --adopt-outbox (see deploy/kiosk/README.md)"
                )
            if "instance" not in state or adopt:
                return self._new_instance(tx, state.get("instance"))
        return uuid.UUID(state["instance"])

    def _new_instance(self, tx: sqlite3.Connection, old: str | None) -> uuid.UUID:
        """Draw a new instance on this device; pending ratings (a version 1 outbox's, or an adopted one's)
        become its numbers 1..n, same event ids: those the collector has are duplicates it ignores."""
        instance = uuid.uuid4()
        rows = tx.execute("SELECT seq, payload FROM outbox ORDER BY seq").fetchall()
        tx.execute("DELETE FROM outbox")
        self._insert(
            tx,
            [
                Rating.model_validate_json(payload).model_copy(update={"seq": new_seq, "instance": instance})
                for new_seq, (_, payload) in enumerate(rows, start=1)
            ],
        )
        tx.execute("INSERT OR REPLACE INTO state VALUES ('instance', ?), ('device', ?)", (str(instance), self.device))
        tx.execute("UPDATE state SET value = ? WHERE key = 'last_seq'", (len(rows),))
        tx.execute("UPDATE state SET value = 0 WHERE key = 'watermark'")
        if old is not None or rows:
            log.warning(
                "outbox %s is now instance %s (was %s): %d pending rating(s) renumbered from 1",
                self.path,
                instance,
                old or "a kiosk-wide sequence",
                len(rows),
            )
        return instance

    def _get(self, conn: sqlite3.Connection, key: str) -> int:
        return int(conn.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()[0])

    def append(self, make: Callable[[int], Rating]) -> Rating:
        """Store the rating `make(seq)` under the next sequence number, as this instance's; durable when this
        returns."""
        try:
            with self._write() as tx:
                seq = self._get(tx, "last_seq") + 1
                rating = make(seq).model_copy(update={"instance": self.instance})
                self._insert(tx, [rating])
                tx.execute("UPDATE state SET value = ? WHERE key = 'last_seq'", (seq,))
        except sqlite3.Error as exc:
            kind = OutboxFull if getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL else OutboxError
            raise kind(f"cannot store the press in {self.path}: {exc}") from exc
        return rating

    def append_many(self, ratings: Iterable[Rating]) -> int:
        """Store ratings in one transaction, numbered after the last one (their own `seq` is replaced)."""
        try:
            with self._write() as tx:
                last = self._get(tx, "last_seq")
                numbered = [
                    r.model_copy(update={"seq": last + i, "instance": self.instance})
                    for i, r in enumerate(ratings, start=1)
                ]
                self._insert(tx, numbered)
                tx.execute("UPDATE state SET value = ? WHERE key = 'last_seq'", (last + len(numbered),))
        except sqlite3.Error as exc:
            raise OutboxError(f"cannot store ratings in {self.path}: {exc}") from exc
        return len(numbered)

    @staticmethod
    def _insert(tx: sqlite3.Connection, ratings: list[Rating]) -> None:
        if ratings and ratings[-1].seq > MAX_SEQ:
            raise OutboxError("sequence numbers exhausted")
        tx.executemany(
            "INSERT INTO outbox VALUES (?, ?, ?, ?, ?, ?)",
            [
                (
                    r.seq,
                    str(r.event_id),
                    encode(r),
                    str(r.clock.boot_id),
                    r.clock.uptime_ms,
                    r.pressed_at.timestamp(),
                )
                for r in ratings
            ],
        )

    def pending(self, from_seq: int, limit: int) -> list[Pending]:
        """Up to `limit` stored ratings with `seq >= from_seq`, in sequence order."""
        rows = self._connection().execute(
            "SELECT seq, payload FROM outbox WHERE seq >= ? ORDER BY seq LIMIT ?", (from_seq, limit)
        )
        return [Pending(seq, bytes(payload)) for seq, payload in rows]

    def acknowledge(self, watermark: int, instance: uuid.UUID | None) -> AckOutcome:
        """Forget every rating with `seq <= watermark`, if the watermark is for this outbox's `instance`; an
        older watermark than the last one, or one for another instance, changes nothing.

        A watermark above our own last sequence number means this outbox was reset (a
        new SD card for a known kiosk id): the collector already holds numbers we are
        about to reuse. Then pending ratings are renumbered to follow the watermark
        (same event ids) and numbering continues from there, so nothing is forgotten
        that the collector does not have.
        """
        if instance != self.instance:
            return AckOutcome(accepted=False)
        with self._write() as tx:
            if watermark <= self._get(tx, "watermark"):
                return AckOutcome(accepted=False)
            last = self._get(tx, "last_seq")
            renumbered = 0
            if watermark > last:
                renumbered = self._renumber_after(tx, watermark)
                tx.execute("UPDATE state SET value = ? WHERE key = 'last_seq'", (watermark + renumbered,))
                forgotten = 0
            else:
                forgotten = tx.execute("DELETE FROM outbox WHERE seq <= ?", (watermark,)).rowcount
            tx.execute("UPDATE state SET value = ? WHERE key = 'watermark'", (watermark,))
        return AckOutcome(accepted=True, forgotten=forgotten, renumbered=renumbered)

    @staticmethod
    def _renumber_after(tx: sqlite3.Connection, watermark: int) -> int:
        rows = tx.execute("SELECT seq, payload FROM outbox ORDER BY seq").fetchall()
        for new_seq, (old_seq, payload) in enumerate(rows, start=watermark + 1):
            rating = Rating.model_validate_json(payload).model_copy(update={"seq": new_seq})
            tx.execute("UPDATE outbox SET seq = ?, payload = ? WHERE seq = ?", (new_seq, encode(rating), old_seq))
        return len(rows)

    def stats(self) -> OutboxStats:
        conn = self._connection()
        conn.execute("BEGIN")
        try:
            last, watermark = self._get(conn, "last_seq"), self._get(conn, "watermark")
            depth = conn.execute("SELECT count(*) FROM outbox").fetchone()[0]
            row = conn.execute("SELECT boot_id, uptime_ms, wall_s, seq FROM outbox ORDER BY seq LIMIT 1").fetchone()
        finally:
            conn.execute("COMMIT")
        oldest = Oldest(uuid.UUID(row[0]), row[1], row[2]) if row else None
        return OutboxStats(
            last_seq=last,
            watermark=watermark,
            depth=depth,
            oldest=oldest,
            instance=self.instance,
            lowest_seq=row[3] if row else None,
        )

    def load_config(self) -> bytes | None:
        row = self._connection().execute("SELECT value FROM state WHERE key = 'config'").fetchone()
        return bytes(row[0]) if row else None

    def save_config(self, payload: bytes) -> None:
        with self._write() as tx:
            tx.execute("INSERT OR REPLACE INTO state VALUES ('config', ?)", (payload,))

    def close(self) -> None:
        with self._all_lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()
        self._lock.release()
