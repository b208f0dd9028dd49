"""Gaps and ack watermarks of each kiosk instance in the database (the rules are in `collector.gaps`).

Everything a batch does to one kiosk's rows (sequence, clock, misuse) runs under a
transaction-level advisory lock on that kiosk, so collectors sharing a subscription
never interleave their bookkeeping for the same kiosk.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import psycopg
from psycopg.rows import TupleRow

from collector.gaps import Gap, account
from collector.ingest import InstanceKey
from collector.store.arrays import array


def _lock_key(kiosk_id: str) -> int:
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
    """Instances whose new events came under numbers already accounted for (see `collector.gaps`)."""


UPSERT_INSTANCES = """
INSERT INTO kiosk_instances AS i (kiosk_id, instance, max_seq, acked_seq, first_seen_at, last_seen_at)
SELECT * FROM unnest(%s::text[], %s::uuid[], %s::bigint[], %s::bigint[], %s::timestamptz[], %s::timestamptz[])
ON CONFLICT (kiosk_id, instance) DO UPDATE SET max_seq = EXCLUDED.max_seq, acked_seq = EXCLUDED.acked_seq,
    first_seen_at = least(i.first_seen_at, EXCLUDED.first_seen_at),
    last_seen_at = greatest(i.last_seen_at, EXCLUDED.last_seen_at)
"""


def _pairs(keys: Iterable[InstanceKey]) -> tuple[str, str]:
    keys = list(keys)
    return array(k for k, _ in keys), array(i for _, i in keys)


def advance(
    conn: psycopg.Connection[TupleRow],
    heard: Mapping[InstanceKey, tuple[datetime, datetime]],
    accounted: Mapping[InstanceKey, Iterable[int]],
    fresh: Mapping[InstanceKey, Iterable[int]],
) -> Advanced:
    """Account for new sequence numbers of each instance heard (first and last receive time in the batch):
    open and close gaps, update the instance's counters and times, compute its watermark.

    `accounted`: numbers of ratings stored (new or not) or quarantined; `fresh`: those of new events.
    Every key of `accounted` must be in `heard`."""
    keys = sorted(heard)
    if not keys:
        return Advanced({}, {})
    orgs: dict[str, str] = dict(
        conn.execute("SELECT id, org_id FROM kiosks WHERE id = ANY(%s::text[])", (array({k for k, _ in keys}),))
    )
    state = {
        (kiosk, instance): (int(max_seq), int(acked))
        for kiosk, instance, max_seq, acked in conn.execute(
            "SELECT i.kiosk_id, i.instance, i.max_seq, i.acked_seq FROM kiosk_instances i"
            " JOIN unnest(%s::text[], %s::uuid[]) AS k(kiosk_id, instance) USING (kiosk_id, instance)",
            _pairs(keys),
        )
    }
    with_news = sorted(k for k in accounted if k[0] in orgs)
    gaps: dict[InstanceKey, list[Gap]] = {}
    for kiosk, instance, first, last, opened_at in conn.execute(
        "SELECT g.kiosk_id, g.instance, g.first_seq, g.last_seq, g.opened_at FROM sequence_gaps g"
        " JOIN unnest(%s::text[], %s::uuid[]) AS k(kiosk_id, instance) USING (kiosk_id, instance)"
        " WHERE g.closed_at IS NULL ORDER BY 1, 2, 3",
        _pairs(with_news),
    ):
        gaps.setdefault((kiosk, instance), []).append(Gap(int(first), int(last), opened_at))
    counters = {key: state.get(key, (0, 0)) for key in keys if key[0] in orgs}
    closes: list[tuple[str, UUID, int]] = []
    opens: list[tuple[str, UUID, int, int, object]] = []
    reused: dict[InstanceKey, list[int]] = {}
    for key in with_news:
        update = account(counters[key][0], gaps.get(key, []), accounted[key], fresh.get(key, ()))
        closes += [(*key, g.first) for g in update.closed]
        opens += [(*key, g.first, g.last, g.opened_at) for g in update.opened]
        counters[key] = (update.max_seq, update.watermark)
        if update.reused:
            reused[key] = update.reused
    with conn.cursor() as cur:
        ordered = sorted(counters)
        cur.execute(
            UPSERT_INSTANCES,
            (
                *_pairs(ordered),
                array(counters[k][0] for k in ordered),
                array(counters[k][1] for k in ordered),
                array(heard[k][0] for k in ordered),
                array(heard[k][1] for k in ordered),
            ),
        )
        cur.executemany(
            "UPDATE sequence_gaps SET closed_at = now()"
            " WHERE kiosk_id = %s AND instance = %s AND first_seq = %s AND closed_at IS NULL",
            closes,
        )
        cur.executemany(
            "INSERT INTO sequence_gaps (kiosk_id, instance, first_seq, last_seq, opened_at)"
            " VALUES (%s, %s, %s, %s, coalesce(%s::timestamptz, now()))",
            opens,
        )
    watermarks = {key: (orgs[key[0]], acked) for key, (_, acked) in counters.items()}
    return Advanced(watermarks, reused)
