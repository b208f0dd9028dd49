"""collector.ingest.gc_policy: cycles are still collected, on the clock, and the default comes back at stop."""

from __future__ import annotations

import gc
import weakref

from collector.ingest.gc_policy import TimedCollection
from tests.waiting import wait_for


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


def make_cycle() -> weakref.ref[Node]:
    a, b = Node(), Node()
    a.other, b.other = b, a
    return weakref.ref(a)


def test_cycles_are_collected_on_the_clock_and_automatic_collection_returns_at_stop() -> None:
    assert gc.isenabled()
    collection = TimedCollection(0.05)
    collection.start()
    try:
        assert not gc.isenabled()
        assert gc.get_freeze_count() > 0  # what existed at start is left out of later scans
        cycle = make_cycle()
        assert cycle() is not None  # reference counting alone never frees a cycle
        assert wait_for(lambda: cycle() is None, timeout=10)
        assert collection.collections >= 1
    finally:
        collection.stop()
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_interval_zero_leaves_python_default() -> None:
    collection = TimedCollection(0)
    collection.start()
    try:
        assert gc.isenabled()
        assert gc.get_freeze_count() == 0
    finally:
        collection.stop()
