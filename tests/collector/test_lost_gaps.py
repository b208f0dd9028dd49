"""Sequence bookkeeping after a restore to an older point, pure: what an instance no longer holds is closed
as lost (and the watermark moves on), nothing it still holds ever is, and a lost number that arrives is found."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from collector.ingest.gaps import Gap, account, after, release

Step = tuple[str, list[int]]
steps = st.lists(
    st.one_of(
        st.tuples(st.just("store"), st.lists(st.integers(1, 40), max_size=8)),
        st.tuples(st.just("held"), st.lists(st.integers(1, 41), min_size=1, max_size=1)),
    ),
    max_size=14,
)


def numbers(gaps: list[Gap], lost: bool) -> set[int]:
    return {s for g in gaps if g.lost == lost for s in range(g.first, g.last + 1)}


@given(steps)
def test_missing_numbers_are_open_or_lost_and_lost_only_below_what_is_held(script: list[Step]) -> None:
    max_seq, watermark, gaps = 0, 0, list[Gap]()
    seen: set[int] = set()
    held_from = 1
    lost_total = found_total = 0
    for kind, values in script:
        if kind == "store":
            update = account(max_seq, gaps, values, values)
            seen |= set(values)
            found_total += update.found
            assert not update.reused or set(update.reused) <= seen
        else:
            held_from = max(held_from, values[0])
            update = release(max_seq, gaps, held_from)
            lost_total += sum(g.size for g in update.lost)
        gaps, max_seq, watermark = after(gaps, update), update.max_seq, update.watermark
        missing = set(range(1, max_seq + 1)) - seen
        assert numbers(gaps, lost=False) | numbers(gaps, lost=True) == missing
        assert not numbers(gaps, lost=False) & numbers(gaps, lost=True)
        assert all(s < held_from for s in numbers(gaps, lost=True)), "a number still held is never lost"
        open_firsts = [g.first for g in gaps if not g.lost]
        assert watermark == (min(open_firsts) - 1 if open_firsts else max_seq)
        assert len(numbers(gaps, lost=True)) == lost_total - found_total
    if script and script[-1][0] == "held":
        assert all(g.first >= held_from for g in gaps if not g.lost), "nothing below what is held stays open"
        assert watermark >= held_from - 1


def test_restore_to_an_older_point() -> None:
    """The database knew 1..10 when backed up; the kiosk then had 11..30 acked and deleted, holds 31..35.
    After the restore it resends 31..35: a gap 11..30 opens; its heartbeat closes it as lost."""
    update = account(10, [], range(31, 36))
    gaps = after([], update)
    assert gaps == [Gap(11, 30)]
    assert update.watermark == 10
    released = release(update.max_seq, gaps, 31)
    assert [(g.first, g.last, g.lost) for g in released.lost] == [(11, 30, True)]
    assert released.watermark == 35
    # A lost number that arrives after all (a resend still queued at the broker) is stored and found.
    late = account(35, after(gaps, released), [20], [20])
    assert late.found == 1
    assert not late.reused
    assert [(g.first, g.last) for g in after(after(gaps, released), late)] == [(11, 19), (21, 30)]


def test_a_kiosk_that_delivered_everything_before_the_restore_is_caught_up_by_its_heartbeat() -> None:
    """Nothing resent, nothing held: the numbers 11..30 were never heard after the restore."""
    released = release(10, [], 31)
    assert [(g.first, g.last) for g in released.lost] == [(11, 30)]
    assert (released.max_seq, released.watermark) == (30, 30)


def test_what_is_held_is_never_released() -> None:
    released = release(10, [Gap(4, 9)], 6)
    assert [(g.first, g.last, g.lost) for g in released.opened] == [(6, 9, False), (4, 5, True)]
    assert released.watermark == 5
    assert not release(10, [Gap(4, 9)], 4).changed


def test_one_number_between_the_last_stored_and_the_lowest_held_is_lost() -> None:
    """The smallest such hole: 10 stored, 12 the lowest held, so 11 was deleted before we had it."""
    released = release(10, [], 12)
    assert [(g.first, g.last, g.lost) for g in released.lost] == [(11, 11, True)]
    assert (released.max_seq, released.watermark) == (11, 11)
    assert not release(10, [], 11).changed  # 11 is held: nothing between
