"""Gaps and ack watermarks of each kiosk instance in the database (the rules are in `collector.ingest.gaps`).

Everything a batch does to one kiosk's rows (sequence, clock, misuse) runs under a
transaction-level advisory lock on that kiosk, so collectors sharing a subscription
never interleave their bookkeeping for the same kiosk.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

import psycopg
from psycopg.rows import TupleRow

from collector.ingest.gaps import Gap, account, after, release
from collector.ingest.messages import InstanceKey
from collector.store.arrays import array, instants, timestamptz_array


@functools.lru_cache(maxsize=200_000)
def _lock_key(kiosk_id: str) -> int:
    """Kept for the fleet's kiosks (a few MB at 200,000): hashed afresh, every kiosk of every batch cost 1%
    of a national day's Python time."""
    return int.from_bytes(hashlib.blake2b(f"mlf-kiosk:{kiosk_id}".encode(), digest_size=8).digest(), "big", signed=True)


def lock_kiosks(conn: psycopg.Connection[TupleRow], kiosk_ids: Iterable[str]) -> None:
    """Take every kiosk's lock, in one global order (no deadlock between collectors)."""
    keys = sorted({_lock_key(k) for k in kiosk_ids})
    if keys:
        conn.execute(
            "SELECT pg_advisory_xact_lock(k) FROM unnest(%s::bigint[]) WITH ORDINALITY AS t(k, i) ORDER BY i",
            (array(keys),),
        )


@dataclass(frozen=True)
class Advanced:
    watermarks: dict[InstanceKey, tuple[str, int]]
    """(kiosk, instance) -> (organisation, watermark) for every instance given."""
    reused: dict[InstanceKey, list[int]]
    """Instances whose new events came under numbers already accounted for (see `collector.ingest.gaps`)."""
    lost: dict[InstanceKey, list[tuple[int, int]]] = field(default_factory=dict)
    """Ranges of numbers closed as lost now, per instance (`collector.ingest.gaps.release`)."""
    found: dict[InstanceKey, int] = field(default_factory=dict)
    """Numbers closed as lost before that arrived in this batch, per instance."""


UPSERT_INSTANCES = f"""
INSERT INTO kiosk_instances AS i (kiosk_id, instance, max_seq, acked_seq, first_seen_at, last_seen_at)
SELECT * FROM unnest(%s::text[], %s::uuid[], %s::bigint[], %s::bigint[], {timestamptz_array("%s")},
    {timestamptz_array("%s")})
ON CONFLICT (kiosk_id, instance) DO UPDATE SET max_seq = EXCLUDED.max_seq, acked_seq = EXCLUDED.acked_seq,
    first_seen_at = least(i.first_seen_at, EXCLUDED.first_seen_at),
    last_seen_at = greatest(i.last_seen_at, EXCLUDED.last_seen_at)
"""  # noqa: S608 - assembled from a constant expression, no input


STATE = """
SELECT q.kiosk_id, q.instance, k.org_id, k.identity_conflict_since IS NOT NULL, i.max_seq, i.acked_seq
FROM unnest(%s::text[], %s::uuid[]) AS q(kiosk_id, instance)
JOIN kiosks k ON k.id = q.kiosk_id
LEFT JOIN kiosk_instances i ON i.kiosk_id = q.kiosk_id AND i.instance = q.instance
"""
"""Each instance heard whose kiosk is registered: its organisation, whether its identity conflict is open, and
its counters (NULL for an instance not seen before). One statement: at national scale nearly every kiosk of a
batch is heard once, and every row read back costs."""


def _pairs(keys: Iterable[InstanceKey]) -> tuple[str, str]:
    keys = list(keys)
    return array(k for k, _ in keys), array(i for _, i in keys)


GAPS = """
WITH k AS (SELECT * FROM unnest(%(kiosks)s::text[], %(instances)s::uuid[]) AS k(kiosk_id, instance))
SELECT g.kiosk_id, g.instance, g.first_seq, g.last_seq, g.opened_at, g.lost_at
FROM sequence_gaps g JOIN k USING (kiosk_id, instance) WHERE g.closed_at IS NULL
UNION ALL
SELECT g.kiosk_id, g.instance, g.first_seq, g.last_seq, g.opened_at, g.lost_at
FROM sequence_gaps g JOIN k USING (kiosk_id, instance) WHERE g.lost_at IS NOT NULL
ORDER BY 1, 2, 3
"""
"""Open gaps, and the ranges closed as lost (a lost range is a closed gap with `lost_at`; see migration 0140):
each through its own partial index, however many closed gaps there are."""


def advance(
    conn: psycopg.Connection[TupleRow],
    heard: Mapping[InstanceKey, tuple[datetime, datetime]],
    accounted: Mapping[InstanceKey, Iterable[int]],
    fresh: Mapping[InstanceKey, Iterable[int]],
    held: Mapping[InstanceKey, int] | None = None,
) -> Advanced:
    """Account for new sequence numbers of each instance heard (first and last receive time in the batch):
    open and close gaps, update the instance's counters and times, compute its watermark.

    `accounted`: numbers of ratings stored (new or not) or quarantined; `fresh`: those of new events; `held`:
    the lowest number each instance still holds, from its heartbeats (what is missing below it is lost; not
    for a kiosk with an open identity conflict, whose heartbeats may speak for another device's numbers).
    Every key of `accounted` and `held` must be in `heard`."""
    keys = sorted(heard)
    if not keys:
        return Advanced({}, {})
    kiosks: dict[str, tuple[str, bool]] = {}
    state: dict[InstanceKey, tuple[int, int]] = {}
    for kiosk, instance, org, conflicted, max_seq, acked in conn.execute(STATE, _pairs(keys)):
        kiosks[kiosk] = (org, conflicted)
        if max_seq is not None:
            state[(kiosk, instance)] = (max_seq, acked)
    releasing = {k: n for k, n in (held or {}).items() if k[0] in kiosks and not kiosks[k[0]][1]}
    touched = sorted({k for k in accounted if k[0] in kiosks} | set(releasing))
    gaps: dict[InstanceKey, list[Gap]] = {}
    kiosk_ids, instances = _pairs(touched)
    for kiosk, instance, first, last, opened_at, lost_at in conn.execute(
        GAPS, {"kiosks": kiosk_ids, "instances": instances}
    ):
        gap = Gap(int(first), int(last), opened_at, lost_at is not None, lost_at)
        gaps.setdefault((kiosk, instance), []).append(gap)
    counters = {key: state.get(key, (0, 0)) for key in keys if key[0] in kiosks}
    result = Advanced({}, {})
    closes: list[tuple[InstanceKey, Gap]] = []
    opens: list[tuple[InstanceKey, Gap]] = []
    for key in touched:
        before = gaps.get(key, [])
        now, max_seq, watermark = before, counters[key][0], counters[key][1]
        if key in accounted:
            update = account(max_seq, now, accounted[key], fresh.get(key, ()))
            now = after(now, update) if update.changed else now
            max_seq, watermark = update.max_seq, update.watermark
            if update.reused:
                result.reused[key] = update.reused
            if update.found:
                result.found[key] = update.found
        if key in releasing:
            update = release(max_seq, now, releasing[key])
            now, max_seq, watermark = after(now, update), update.max_seq, update.watermark
            if update.lost:
                result.lost[key] = [(g.first, g.last) for g in update.lost]
        closes += [(key, g) for g in before if g not in now]
        opens += [(key, g) for g in now if g not in before]
        counters[key] = (max_seq, watermark)
    with conn.cursor() as cur:
        ordered = sorted(counters)
        cur.execute(
            UPSERT_INSTANCES,
            (
                *_pairs(ordered),
                array(counters[k][0] for k in ordered),
                array(counters[k][1] for k in ordered),
                instants(heard[k][0] for k in ordered),
                instants(heard[k][1] for k in ordered),
            ),
        )
        cur.executemany(
            "UPDATE sequence_gaps SET closed_at = now()"
            " WHERE kiosk_id = %s AND instance = %s AND first_seq = %s AND closed_at IS NULL",
            [(*key, g.first) for key, g in closes if not g.lost],
        )
        # A lost range that a late rating split: no longer lost as a whole; its remainders are inserted below.
        cur.executemany(
            "UPDATE sequence_gaps SET lost_at = NULL"
            " WHERE kiosk_id = %s AND instance = %s AND first_seq = %s AND lost_at IS NOT NULL",
            [(*key, g.first) for key, g in closes if g.lost],
        )
        cur.executemany(
            "INSERT INTO sequence_gaps (kiosk_id, instance, first_seq, last_seq, opened_at, closed_at, lost_at)"
            " VALUES (%s, %s, %s, %s, coalesce(%s::timestamptz, now()),"
            " CASE WHEN %s THEN now() END, CASE WHEN %s THEN coalesce(%s::timestamptz, now()) END)",
            [(*key, g.first, g.last, g.opened_at, g.lost, g.lost, g.lost_at) for key, g in opens],
        )
    result.watermarks.update({key: (kiosks[key[0]][0], acked) for key, (_, acked) in counters.items()})
    return result
