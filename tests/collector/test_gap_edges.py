"""Gaps and the watermark at their edges, pure: numbers at a gap's first and last place, a gap split keeping
when it opened and whether it was lost, numbers found in several lost gaps at once, and release by a heartbeat's
lowest held number exactly at a gap's edges (the property tests: test_ingest_gaps.py, test_lost_gaps.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from collector.ingest.gaps import Gap, account, after, release

OPENED = datetime(2026, 11, 2, 8, tzinfo=UTC)
LOST = datetime(2026, 11, 20, 8, tzinfo=UTC)


def test_numbers_at_both_ends_of_a_gap_leave_its_middle_open() -> None:
    gap = Gap(3, 7, OPENED)
    update = account(10, [gap], [3, 7])
    assert update.closed == [gap]
    assert update.opened == [Gap(4, 6, OPENED)]
    assert (update.max_seq, update.watermark) == (10, 3)


def test_a_number_next_to_a_gaps_end_leaves_the_end_open() -> None:
    update = account(10, [Gap(3, 7, OPENED)], [6])
    assert update.opened == [Gap(3, 5, OPENED), Gap(7, 7, OPENED)]
    assert update.watermark == 2


def test_a_lost_gap_split_by_a_late_rating_stays_lost_where_it_is_still_missing() -> None:
    lost = Gap(3, 7, OPENED, lost=True, lost_at=LOST)
    update = account(10, [lost], [5])
    assert update.closed == [lost]
    assert update.found == 1
    assert update.opened == [Gap(3, 4, OPENED, True, LOST), Gap(6, 7, OPENED, True, LOST)]
    assert update.watermark == 10  # lost numbers hold the watermark back no more


def test_numbers_found_in_several_lost_gaps_add_up() -> None:
    gaps = [Gap(3, 4, OPENED, True, LOST), Gap(8, 9, OPENED, True, LOST)]
    update = account(20, gaps, [3, 4, 9])
    assert update.found == 3
    assert update.closed == gaps
    assert update.opened == [Gap(8, 8, OPENED, True, LOST)]
    assert after(gaps, update) == [Gap(8, 8, OPENED, True, LOST)]


def test_a_gap_after_one_left_open_is_still_filled() -> None:
    first, second = Gap(2, 3, OPENED), Gap(8, 9, OPENED)
    update = account(20, [first, second], [8])
    assert update.closed == [second]
    assert update.opened == [Gap(9, 9, OPENED)]
    assert after([first, second], update) == [first, Gap(9, 9, OPENED)]
    assert update.watermark == 1


def test_reuse_is_a_new_event_under_a_number_accounted_for_not_one_in_a_gap() -> None:
    update = account(10, [Gap(3, 5)], [3, 5, 10, 11], fresh=[3, 5, 10, 11])
    assert update.reused == [10]
    assert account(10, [Gap(3, 5)], [10], fresh=[]).reused == []


def test_the_next_number_opens_no_gap_and_one_further_does() -> None:
    update = account(5, [], [6])
    assert (update.opened, update.max_seq, update.watermark) == ([], 6, 6)
    update = account(5, [], [8])
    assert (update.opened, update.max_seq, update.watermark) == ([Gap(6, 7)], 8, 5)
    assert account(5, [Gap(2, 3)], [4, 5]).watermark == 1


def test_release_closes_what_lies_below_the_lowest_held_number_as_lost() -> None:
    gap = Gap(3, 7, OPENED)
    update = release(10, [gap], 5)
    assert update.closed == [gap]
    assert update.lost == [Gap(3, 4, OPENED, lost=True)]
    assert sorted(update.opened, key=lambda g: g.first) == [Gap(3, 4, OPENED, lost=True), Gap(5, 7, OPENED)]
    assert (update.max_seq, update.watermark) == (10, 4)


def test_release_at_a_gaps_last_number_keeps_that_number_open() -> None:
    update = release(10, [Gap(3, 5, OPENED)], 5)
    assert update.lost == [Gap(3, 4, OPENED, lost=True)]
    assert Gap(5, 5, OPENED) in update.opened
    assert update.watermark == 4


def test_release_at_a_gaps_first_number_releases_nothing() -> None:
    update = release(10, [Gap(5, 7, OPENED)], 5)
    assert (update.closed, update.lost, update.opened) == ([], [], [])
    assert update.watermark == 4


def test_release_right_after_the_maximum_loses_nothing() -> None:
    update = release(10, [], 11)
    assert (update.lost, update.max_seq, update.watermark) == ([], 10, 10)


def test_release_beyond_the_maximum_loses_what_we_never_had() -> None:
    update = release(10, [Gap(3, 4, OPENED)], 15)
    assert update.lost == [Gap(3, 4, OPENED, lost=True), Gap(11, 14, lost=True)]
    assert (update.max_seq, update.watermark) == (14, 14)
    assert after([Gap(3, 4, OPENED)], update) == [Gap(3, 4, OPENED, lost=True), Gap(11, 14, lost=True)]


def test_a_lost_gap_is_not_lost_twice() -> None:
    update = release(10, [Gap(3, 4, OPENED, True, LOST)], 8)
    assert (update.closed, update.lost, update.opened) == ([], [], [])
    assert update.watermark == 10
