"""Which windows a batch's misuse recount looks at: per kiosk, from its earliest to its latest change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from collector.store.misuse import spans
from collector.store.ratings import Placed

T0 = datetime(2026, 11, 30, 9, tzinfo=UTC)


def test_each_kiosk_spans_its_earliest_to_its_latest_change_in_any_order() -> None:
    placed = [
        Placed("k2", T0 + timedelta(minutes=5)),
        Placed("k1", T0 + timedelta(minutes=3)),
        Placed("k1", T0 - timedelta(minutes=2)),
        Placed("k1", T0 + timedelta(minutes=9)),
        Placed("k1", T0),
    ]
    assert spans(placed) == {
        "k1": (T0 - timedelta(minutes=2), T0 + timedelta(minutes=9)),
        "k2": (T0 + timedelta(minutes=5), T0 + timedelta(minutes=5)),
    }


def test_nothing_placed_spans_nothing() -> None:
    assert spans([]) == {}
