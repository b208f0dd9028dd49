"""Identity conflicts in the database: kiosks flagged, why and since when, and an event for the alerting.

The rule is in `collector.ingest.identity`; the instances and their times are kept by `sequences.advance`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import psycopg
from psycopg.rows import TupleRow

from collector.ingest.identity import InstanceSeen, conflict_reason, overlapping
from collector.ingest.messages import InstanceKey
from collector.store import kiosk_events
from collector.store.arrays import array

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ConflictOpened:
    kiosk_id: str
    org: str
    reason: str
    instances: list[UUID]


@dataclass
class _Kiosk:
    org: str
    open: bool
    cleared_at: datetime | None
    instances: list[InstanceSeen]


READ = """
SELECT k.id, k.org_id, k.identity_conflict_since IS NOT NULL, k.identity_conflict_cleared_at,
       i.instance, i.first_seen_at, i.last_seen_at, i.session_takeovers
FROM kiosks k JOIN kiosk_instances i ON i.kiosk_id = k.id
WHERE k.id = ANY(%(ids)s::text[])
  AND (k.identity_conflict_since IS NOT NULL OR k.id = ANY(%(suspects)s::text[])
       OR EXISTS (SELECT 1 FROM kiosk_instances o WHERE o.kiosk_id = k.id AND o.instance <> i.instance))
"""
"""The kiosks that can have a conflict, with their instances: those with one open, those the batch gives a
reason to look at (`suspects`: numbers reused, takeovers reported) and those with more than one instance.
A kiosk with one instance and none of these has no conflict, whatever its times: at national scale nearly
every kiosk of a batch is one, and reading them all back cost more than the rest of the check."""


@dataclass(frozen=True)
class Observed:
    opened: list[ConflictOpened]
    """Conflicts noticed in this batch."""
    conflicted: set[str]
    """Kiosks heard in this batch whose conflict is open (new or not): their acks say so."""


def observe(
    conn: psycopg.Connection[TupleRow],
    kiosk_ids: Iterable[str],
    reused: Mapping[InstanceKey, list[int]],
    takeovers: Mapping[InstanceKey, int],
) -> Observed:
    """Open a conflict on the kiosks heard in this batch that have more than one device behind them now.

    `reused`: instances that reused sequence numbers (`sequences.advance`); `takeovers`: each instance's
    `session_takeovers` from its latest heartbeat in the batch. Call it under the kiosks' locks."""
    ids = sorted(set(kiosk_ids))
    if not ids:
        return Observed([], set())
    kiosks: dict[str, _Kiosk] = {}
    stored_takeovers: dict[InstanceKey, int] = {}
    suspects = sorted({kiosk for kiosk, _ in reused} | {kiosk for kiosk, _ in takeovers})
    read = conn.execute(READ, {"ids": array(ids), "suspects": array(suspects)})
    for kiosk, org, is_open, cleared_at, instance, first, last, taken in read:
        entry = kiosks.setdefault(kiosk, _Kiosk(org, is_open, cleared_at, []))
        entry.instances.append(InstanceSeen(instance, first, last))
        stored_takeovers[(kiosk, instance)] = int(taken)
    changed = {key: n for key, n in takeovers.items() if key in stored_takeovers and n != stored_takeovers[key]}
    if changed:
        conn.cursor().executemany(
            "UPDATE kiosk_instances SET session_takeovers = %s WHERE kiosk_id = %s AND instance = %s",
            [(n, kiosk, instance) for (kiosk, instance), n in changed.items()],
        )
    taken_over = {kiosk for (kiosk, _), n in changed.items() if n > 0}
    reusing = {kiosk for kiosk, _ in reused}
    opened = []
    for kiosk, entry in sorted(kiosks.items()):
        if entry.open:
            continue
        reason = conflict_reason(entry.instances, entry.cleared_at, kiosk in reusing, kiosk in taken_over)
        if reason is None:
            continue
        involved = overlapping(entry.instances, entry.cleared_at) or sorted(
            {i for (k, i) in [*reused, *changed] if k == kiosk}
        )
        opened.append(ConflictOpened(kiosk, entry.org, reason, involved))
    if opened:
        _open(conn, opened, reused)
    return Observed(opened, {k for k, entry in kiosks.items() if entry.open} | {c.kiosk_id for c in opened})


def _open(
    conn: psycopg.Connection[TupleRow], opened: list[ConflictOpened], reused: Mapping[InstanceKey, list[int]]
) -> None:
    conn.cursor().executemany(
        "UPDATE kiosks SET identity_conflict_since = now(), identity_conflict_reason = %s WHERE id = %s",
        [(c.reason, c.kiosk_id) for c in opened],
    )
    kiosk_events.record(
        conn,
        [
            (
                c.kiosk_id,
                c.org,
                kiosk_events.IDENTITY_CONFLICT,
                {
                    "reason": c.reason,
                    "instances": [str(i) for i in c.instances],
                    "reused_seqs": sorted({s for (k, _), seqs in reused.items() if k == c.kiosk_id for s in seqs})[:20],
                },
            )
            for c in opened
        ],
    )
    for c in opened:
        log.warning(
            "kiosk %s (%s): identity conflict (%s): more than one device uses this kiosk id (instances %s). "
            "Every rating of each is kept and acknowledged to its own device; give each device its own identity "
            "(deploy/kiosk/README.md), then clear it with `mlf-collector admin kiosk clear-conflict %s`",
            c.kiosk_id,
            c.org,
            c.reason,
            ", ".join(str(i) for i in c.instances) or "unknown",
            c.kiosk_id,
        )


def clear(conn: psycopg.Connection[TupleRow], kiosk_id: str) -> bool:
    """An operator has given each device its own identity: clear the flag (what is heard from now on counts
    again). False if the kiosk had no conflict."""
    with conn.transaction():
        row = conn.execute(
            "UPDATE kiosks SET identity_conflict_since = NULL, identity_conflict_reason = NULL,"
            " identity_conflict_cleared_at = now() WHERE id = %s AND identity_conflict_since IS NOT NULL"
            " RETURNING org_id",
            (kiosk_id,),
        ).fetchone()
        if row is None:
            return False
        kiosk_events.record(conn, [(kiosk_id, row[0], kiosk_events.IDENTITY_CONFLICT_CLEARED, {})])
    return True
