"""The identity-conflict rule, pure: replaced devices are no conflict, devices speaking at once are."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from collector.ingest.gaps import Gap, account
from collector.ingest.identity import (
    SEQUENCE_REUSED,
    SESSION_TAKEOVER,
    TWO_INSTANCES,
    InstanceSeen,
    conflict_reason,
    overlapping,
)

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
A, B, C = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


def seen(instance: uuid.UUID, first_min: int, last_min: int) -> InstanceSeen:
    return InstanceSeen(instance, T0 + timedelta(minutes=first_min), T0 + timedelta(minutes=last_min))


def test_a_device_replaced_by_another_is_no_conflict() -> None:
    history = [seen(A, 0, 60), seen(B, 61, 200), seen(C, 201, 300)]
    assert overlapping(history) == []
    assert conflict_reason(history, None, reused=False, taken_over=False) is None


def test_two_devices_heard_over_the_same_time_are() -> None:
    history = [seen(A, 0, 120), seen(B, 61, 200), seen(C, 201, 300)]
    assert overlapping(history) == sorted([A, B])
    assert conflict_reason(history, None, reused=False, taken_over=False) == TWO_INSTANCES


def test_only_what_is_heard_after_an_operator_cleared_it_counts() -> None:
    history = [seen(A, 0, 120), seen(B, 61, 200)]
    cleared = T0 + timedelta(minutes=150)
    assert overlapping(history, cleared) == []  # A fell silent before the clear: B alone since
    history.append(seen(A, 0, 210))  # A speaks again after the clear, while B is active
    assert overlapping([history[1], history[2]], cleared) == sorted([A, B])


def test_reused_numbers_and_takeovers_are_reasons_too() -> None:
    alone = [seen(A, 0, 60)]
    assert conflict_reason(alone, None, reused=True, taken_over=False) == SEQUENCE_REUSED
    assert conflict_reason(alone, None, reused=False, taken_over=True) == SESSION_TAKEOVER


def test_a_new_event_under_a_used_number_is_reuse_a_late_one_in_a_gap_or_a_duplicate_is_not() -> None:
    update = account(max_seq=10, open_gaps=[Gap(4, 5)], seqs=[3, 4, 11], fresh=[3, 4, 11])
    assert update.reused == [3]  # 3 was stored already, under another event; 4 fills a gap; 11 is new
    assert account(10, [], seqs=[3], fresh=[]).reused == []  # a duplicate (same event) is not reuse
