"""Sequence bookkeeping, pure: gaps are exactly the missing numbers, the watermark the end of the first run."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from collector.ingest.gaps import Gap, account


def replay(batches: list[list[int]]) -> tuple[int, list[Gap], int]:
    max_seq, watermark = 0, 0
    gaps: list[Gap] = []
    for batch in batches:
        update = account(max_seq, gaps, batch)
        closed = {g.first for g in update.closed}
        gaps = sorted([g for g in gaps if g.first not in closed] + update.opened, key=lambda g: g.first)
        max_seq, watermark = update.max_seq, update.watermark
    return max_seq, gaps, watermark


@given(st.lists(st.lists(st.integers(1, 60), max_size=12), max_size=10))
def test_gaps_are_exactly_what_is_missing(batches: list[list[int]]) -> None:
    max_seq, gaps, watermark = replay(batches)
    seen = {s for batch in batches for s in batch}
    missing = set(range(1, max_seq + 1)) - seen
    assert {s for g in gaps for s in range(g.first, g.last + 1)} == missing
    assert all(g.first <= g.last for g in gaps)
    assert all(a.last + 1 < b.first for a, b in itertools.pairwise(gaps)), "gaps are disjoint, not adjacent"
    assert max_seq == max(seen, default=0)
    expected = 0
    while expected + 1 in seen:
        expected += 1
    assert watermark == expected


def test_split_keeps_when_the_gap_opened() -> None:
    first = account(2, [], [6])
    assert first.opened == [Gap(3, 5)]
    opened = Gap(3, 5, opened_at=None)
    update = account(6, [opened], [4])
    assert update.closed == [opened]
    assert update.opened == [Gap(3, 3), Gap(5, 5)]
    assert update.watermark == 2


def test_nothing_new_changes_nothing() -> None:
    update = account(5, [Gap(2, 3)], [1, 4, 5])
    assert not update.changed
    assert (update.max_seq, update.watermark) == (5, 1)
