"""Sequence bookkeeping, pure: gaps are exactly the missing numbers, the watermark the end of the first run."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from collector.ingest.gaps import Gap, SequenceUpdate, _account, account


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


@given(
    st.integers(0, 30),
    st.lists(st.integers(1, 40), max_size=8),
    st.lists(st.integers(1, 40), max_size=8),
    st.booleans(),
)
def test_the_shortcut_for_numbers_following_on_agrees_with_the_rule(
    max_seq: int, seqs: list[int], fresh: list[int], contiguous: bool
) -> None:
    """`account` answers numbers that follow on from the maximum without gaps by a shortcut (most instances of
    a busy batch): it must give what the general rule gives, whatever the numbers, fresh or reused."""
    if contiguous:  # make the shortcut's case likely, not only possible
        seqs = list(range(max_seq + 1, max_seq + 1 + len(seqs)))
        fresh = [s for s in seqs if s % 2] if fresh else seqs
    assert account(max_seq, [], seqs, fresh) == _account(max_seq, [], sorted(set(seqs)), fresh)
    assert account(max_seq, [], iter(seqs), iter(fresh)) == account(max_seq, [], seqs, fresh)


def test_the_shortcut_is_taken_only_where_nothing_is_missing_or_reused() -> None:
    assert account(4, [], [5, 6, 7], [5, 6, 7]) == SequenceUpdate(max_seq=7, watermark=7)
    assert account(4, [], [5, 7]).opened == [Gap(6, 6)]
    assert account(4, [], [4, 5], [4, 5]).reused == [4]
    assert account(4, [Gap(2, 3)], [5]).watermark == 1
