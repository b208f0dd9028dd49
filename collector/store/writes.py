"""The ingest path's writes: one transaction per batch, rollups moved with the raw rows.

Order inside the transaction (each step in its own module):
1. admit against the registry, auto-register what is new (`admission`);
2. insert the new ratings through the key table, placed by the clock anchors known (`ratings`);
3. lock the batch's kiosks (`sequences.lock_kiosks`), anchor boots from heartbeats
   (`kiosk_state`) and re-place the unsynchronised ratings of the boots concerned;
4. recount misuse windows around every change (`misuse`);
5. fold all rollup deltas in one statement (`rollups`);
6. gaps and watermarks of each kiosk instance (`sequences`), kiosk state in one update per kiosk row
   (`kiosk_state`), identity conflicts (`identity`), quarantine (`quarantine`).
A redelivered event is counted nowhere twice, and the rollups always agree with the raw rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import UUID

import psycopg
from psycopg.rows import TupleRow

from collector.config import CollectorSettings
from collector.ingest.messages import Batch, InstanceKey, Rejection
from collector.store import admission, identity, kiosk_state, misuse, quarantine, ratings, rollups, sequences
from collector.store.misuse import MisuseRule
from protocol import ProtocolError, parse_topic
from protocol.messages import NIL_INSTANCE


@dataclass(frozen=True)
class WriteOptions:
    auto_register: bool = True
    timezone: str = "Europe/Rome"
    misuse: MisuseRule = field(default_factory=lambda: MisuseRule(max_presses=5, window=timedelta(seconds=60)))


def write_options(settings: CollectorSettings) -> WriteOptions:
    """The options of the collector's settings: the same for MQTT and HTTP ingest."""
    return WriteOptions(
        auto_register=settings.auto_register,
        timezone=settings.timezone,
        misuse=MisuseRule(settings.misuse_max_presses, timedelta(seconds=settings.misuse_window_s)),
    )


@dataclass
class WriteResult:
    stored: int = 0
    duplicates: int = 0
    quarantined: dict[str, int] = field(default_factory=dict)
    watermarks: dict[InstanceKey, tuple[str, int]] = field(default_factory=dict)
    """(kiosk id, instance) -> (organisation, seq stored without gaps) for every instance heard from."""
    provisional: int = 0
    """New ratings placed at our receive time for want of a clock anchor."""
    moved: int = 0
    """Ratings re-placed in time by a new clock anchor."""
    misuse_marked: int = 0
    misuse_cleared: int = 0
    identity_conflicts: list[identity.ConflictOpened] = field(default_factory=list)
    """Kiosks found to have more than one device behind their id, in this batch."""
    conflicted: set[str] = field(default_factory=set)
    """Kiosks heard whose identity conflict is open (their acks say so)."""
    lost: dict[InstanceKey, list[tuple[int, int]]] = field(default_factory=dict)
    """Sequence ranges closed as lost in this batch: ratings the kiosk deleted and the database lacks."""
    found: int = 0
    """Ratings under numbers closed as lost before that arrived after all."""

    def add(self, other: WriteResult) -> None:
        self.stored += other.stored
        self.duplicates += other.duplicates
        for reason, n in other.quarantined.items():
            self.quarantined[reason] = self.quarantined.get(reason, 0) + n
        self.watermarks.update(other.watermarks)
        self.provisional += other.provisional
        self.moved += other.moved
        self.misuse_marked += other.misuse_marked
        self.misuse_cleared += other.misuse_cleared
        self.identity_conflicts += other.identity_conflicts
        self.conflicted = (self.conflicted - {k for k, _ in other.watermarks}) | other.conflicted
        for key, ranges in other.lost.items():
            self.lost[key] = self.lost.get(key, []) + ranges
        self.found += other.found


def write_batch(conn: psycopg.Connection[TupleRow], batch: Batch, options: WriteOptions) -> WriteResult:
    """Store one batch in one transaction; the caller acks the messages after this returns."""
    result = WriteResult()
    rejections = list(batch.rejections)
    with conn.transaction():
        known = admission.load(conn, batch)
        admitted = admission.admit_ratings(batch.ratings, known, rejections, options.auto_register)
        heartbeats = [h for h in batch.heartbeats if admission.admit_kiosk(h, known, rejections, options.auto_register)]
        statuses = [s for s in batch.statuses if admission.admit_kiosk(s, known, rejections, options.auto_register)]
        admission.register(conn, admitted, [*heartbeats, *statuses], known, options.timezone)
        accounted, heard = _accounted_rejections(rejections, known)

        rollups.prepare(conn)
        placed: list[ratings.Placed] = []
        provisional: set[UUID] = set()
        fresh: dict[InstanceKey, list[int]] = {}
        if admitted:
            ratings.stage(conn, admitted)
            for new in ratings.insert_new(conn):
                placed += [ratings.Placed(new.kiosk_id, new.first_at), ratings.Placed(new.kiosk_id, new.last_at)]
                fresh[(new.kiosk_id, new.instance or NIL_INSTANCE)] = new.seqs
                result.stored += new.count
                provisional.update(new.provisional)
        result.duplicates = len(admitted) - result.stored
        for item in admitted:
            _heard(heard, item.key, item.inbound.received_at)
        for beat in heartbeats:
            _heard(heard, beat.key, beat.inbound.received_at)
        for r in admitted:  # a duplicate's number is stored too: under the event's id, whatever number it had
            accounted.setdefault(r.key, set()).add(r.rating.seq)
        # From here on, everything touching a kiosk's existing rows runs under its lock. The raw rows were
        # inserted before it (the heavy part runs in parallel); their clock placement is settled just below.
        sequences.lock_kiosks(conn, {kiosk for kiosk, _ in heard})
        reanchored = set(kiosk_state.anchor_boots(conn, heartbeats))
        reanchored |= {(r.kiosk_id, str(r.rating.clock.boot_id)) for r in admitted if not r.rating.clock.synced}
        moves = ratings.reanchor(conn, sorted(reanchored))
        result.moved = sum(m.event_id not in provisional for m in moves)
        result.provisional = len(provisional - {m.event_id for m in moves})
        placed += [p for m in moves for p in (m.before, m.after)]
        result.misuse_marked, result.misuse_cleared = misuse.recount(conn, placed, options.misuse)
        if placed or moves:
            rollups.apply(conn, with_removals=bool(moves or result.misuse_marked or result.misuse_cleared))

        held: dict[InstanceKey, int] = {}
        for beat in heartbeats:  # each was true when sent, and what a kiosk holds only shrinks from below
            if (lowest := beat.heartbeat.lowest_held_seq) is not None:
                held[beat.key] = max(lowest, held.get(beat.key, 0))
        advanced = sequences.advance(conn, heard, accounted, fresh, held)
        kiosk_state.record(conn, admitted, heartbeats, statuses)
        takeovers = {h.key: h.heartbeat.session_takeovers for h in heartbeats if h.heartbeat.session_takeovers}
        observed = identity.observe(conn, {k for k, _ in heard}, advanced.reused, takeovers)
        result.identity_conflicts, result.conflicted = observed.opened, observed.conflicted
        result.quarantined = quarantine.store(conn, rejections)
        result.watermarks = advanced.watermarks
        result.lost, result.found = advanced.lost, sum(advanced.found.values())
    return result


def _heard(heard: dict[InstanceKey, tuple[datetime, datetime]], key: InstanceKey, at: datetime) -> None:
    first, last = heard.get(key, (at, at))
    heard[key] = (min(first, at), max(last, at))


def _accounted_rejections(
    rejections: list[Rejection], known: admission.Registry
) -> tuple[dict[InstanceKey, set[int]], dict[InstanceKey, tuple[datetime, datetime]]]:
    """Sequence numbers of valid ratings refused for what they say, by their own registered kiosk; and when
    their instances were heard."""
    out: dict[InstanceKey, set[int]] = {}
    heard: dict[InstanceKey, tuple[datetime, datetime]] = {}
    for rej in rejections:
        if rej.rating is None or rej.rating.kiosk_id not in known.kiosks:
            continue
        try:
            org = parse_topic(rej.inbound.topic).org
        except ProtocolError:
            continue
        if known.kiosks[rej.rating.kiosk_id][0] == org:
            key = (rej.rating.kiosk_id, rej.rating.instance or NIL_INSTANCE)
            out.setdefault(key, set()).add(rej.rating.seq)
            _heard(heard, key, rej.inbound.received_at)
    return out, heard
