"""Gaps and ack watermarks in the database (the rules are in `collector.gaps`).

Everything a batch does to one kiosk's rows (sequence, clock, misuse) runs under a
transaction-level advisory lock on that kiosk, so collectors sharing a subscription
never interleave their bookkeeping for the same kiosk.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import psycopg
from psycopg.rows import TupleRow

from collector.gaps import Gap, account
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
    watermarks: dict[str, tuple[str, int]]
    """kiosk -> (organisation, watermark) for every kiosk given."""
    counters: dict[str, tuple[int, int]]
    """kiosk -> (max_seq, acked_seq) where they changed: for `kiosk_state.record` to write, so that each
    kiosk row is updated once per batch (a second update in the same transaction re-checks its keys)."""


def advance(
    conn: psycopg.Connection[TupleRow], kiosk_ids: Iterable[str], accounted: Mapping[str, Iterable[int]]
) -> Advanced:
    """Account for new sequence numbers: open and close gaps, compute watermarks and counters."""
    ids = sorted(set(kiosk_ids) | set(accounted))
    if not ids:
        return Advanced({}, {})
    state = {
        kiosk: (org, int(max_seq), int(acked))
        for kiosk, org, max_seq, acked in conn.execute(
            "SELECT id, org_id, max_seq, acked_seq FROM kiosks WHERE id = ANY(%s::text[])", (array(ids),)
        )
    }
    gaps: dict[str, list[Gap]] = {}
    with_news = sorted(k for k in accounted if k in state)
    for kiosk, first, last, opened_at in conn.execute(
        "SELECT kiosk_id, first_seq, last_seq, opened_at FROM sequence_gaps"
        " WHERE kiosk_id = ANY(%s::text[]) AND closed_at IS NULL ORDER BY kiosk_id, first_seq",
        (array(with_news),),
    ):
        gaps.setdefault(kiosk, []).append(Gap(int(first), int(last), opened_at))
    closes: list[tuple[str, int]] = []
    opens: list[tuple[str, int, int, object]] = []
    counters: dict[str, tuple[int, int]] = {}
    watermarks = {kiosk: (org, acked) for kiosk, (org, _, acked) in state.items()}
    for kiosk in with_news:
        org, max_seq, acked = state[kiosk]
        update = account(max_seq, gaps.get(kiosk, []), accounted[kiosk])
        closes += [(kiosk, g.first) for g in update.closed]
        opens += [(kiosk, g.first, g.last, g.opened_at) for g in update.opened]
        if (update.max_seq, update.watermark) != (max_seq, acked):
            counters[kiosk] = (update.max_seq, update.watermark)
        watermarks[kiosk] = (org, update.watermark)
    with conn.cursor() as cur:
        cur.executemany(
            "UPDATE sequence_gaps SET closed_at = now() WHERE kiosk_id = %s AND first_seq = %s AND closed_at IS NULL",
            closes,
        )
        cur.executemany(
            "INSERT INTO sequence_gaps (kiosk_id, first_seq, last_seq, opened_at)"
            " VALUES (%s, %s, %s, coalesce(%s::timestamptz, now()))",
            opens,
        )
    return Advanced(watermarks, counters)
