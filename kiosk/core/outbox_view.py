"""What an outbox holds, as read by its kiosk or, without writing to it, by another process (the simulator).

Kept apart from `kiosk.core.outbox`, which writes it; `kiosk.core.outbox` re-exports these names.
"""

from __future__ import annotations

import sqlite3
import uuid
from dataclasses import dataclass
from pathlib import Path

from protocol.messages import MAX_SEQ


@dataclass(frozen=True, slots=True)
class Pending:
    seq: int
    payload: bytes


@dataclass(frozen=True, slots=True)
class Oldest:
    boot_id: uuid.UUID
    uptime_ms: int
    wall_s: float


@dataclass(frozen=True, slots=True)
class OutboxStats:
    last_seq: int
    watermark: int
    depth: int
    oldest: Oldest | None
    instance: uuid.UUID | None = None
    lowest_seq: int | None = None
    """The lowest sequence number still held (None: it holds none)."""

    @property
    def lowest_held(self) -> int:
        """What the heartbeat reports as `lowest_held_seq`: the lowest number held, or `last_seq + 1`."""
        return self.lowest_seq if self.lowest_seq is not None else min(self.last_seq + 1, MAX_SEQ)

    @property
    def delivered(self) -> bool:
        """The collector's watermark for this instance covers every rating it took."""
        return self.depth == 0 and self.watermark >= self.last_seq


@dataclass(frozen=True, slots=True)
class AckOutcome:
    """What a watermark did: `forgotten` rows deleted; `renumbered` > 0 when it was ahead of us (see `acknowledge`)."""

    accepted: bool
    forgotten: int = 0
    renumbered: int = 0


def peek(path: Path) -> OutboxStats | None:
    """Read another process's outbox without writing to it (the simulator's report); None if there is none."""
    if not path.exists():
        return None
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        conn.execute("BEGIN")
        state = dict(conn.execute("SELECT key, value FROM state WHERE key IN ('last_seq', 'watermark', 'instance')"))
        depth = conn.execute("SELECT count(*) FROM outbox").fetchone()[0]
        conn.execute("COMMIT")
    except sqlite3.OperationalError:  # created but not set up yet
        return None
    finally:
        conn.close()
    instance = uuid.UUID(state["instance"]) if "instance" in state else None
    return OutboxStats(int(state.get("last_seq", 0)), int(state.get("watermark", 0)), depth, None, instance)
