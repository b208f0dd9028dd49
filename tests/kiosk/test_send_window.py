"""The link's sending rules without a broker: order, both bounds, forgetting, resending with backoff."""

from __future__ import annotations

from kiosk.core.send_window import SendWindow


def window(**overrides: float) -> SendWindow:
    options = {"window": 5, "inflight": 3, "resend_after_s": 10.0, "resend_max_s": 40.0, "watermark": 0}
    return SendWindow(**{**options, **overrides})  # type: ignore[arg-type]


def send(w: SendWindow, n: int, now: float = 0.0, last: int = 1000) -> list[int]:
    """Send what the window allows of the outbox's ratings up to `last`."""
    seqs = []
    for _ in range(min(n, w.budget())):
        seq = w.cursor
        if seq > last:
            break
        w.sent(seq, mid=1000 + seq, now=now)
        seqs.append(seq)
    return seqs


def test_puback_bound_then_watermark_bound() -> None:
    w = window()
    assert send(w, 10) == [1, 2, 3]  # three awaiting the broker's PUBACK
    assert w.budget() == 0
    assert [w.puback(1000 + s) for s in (1, 2, 3)] == [1, 2, 3]
    assert send(w, 10) == [4, 5]  # five uncovered by the watermark
    for s in (4, 5):
        w.puback(1000 + s)
    assert w.budget() == 0
    w.covered(3)
    assert send(w, 10) == [6, 7, 8]


def test_a_pubback_for_something_else_is_not_a_rating() -> None:
    assert window().puback(77) is None


def test_resend_from_the_watermark_with_a_doubling_interval() -> None:
    w = window(inflight=100)
    send(w, 5, now=0, last=5)
    w.covered(2)
    assert not w.resend_due(now=9.9)
    assert w.resend_due(now=10.0)
    assert w.cursor == 3
    assert w.resend_after == 20
    assert send(w, 5, now=10, last=5) == [3, 4, 5]  # the same ratings again, in order
    assert not w.resend_due(now=29)
    assert w.resend_due(now=30)
    assert w.resend_after == 40
    send(w, 5, now=30, last=5)
    assert w.resend_due(now=70)
    assert w.resend_after == 40
    send(w, 5, now=70, last=5)
    w.covered(5)
    assert w.resend_after == 10
    assert not w.uncovered


def test_nothing_out_nothing_to_resend() -> None:
    assert not window().resend_due(now=1e9)


def test_a_new_connection_starts_after_the_watermark() -> None:
    w = window(inflight=100)
    send(w, 5)
    w.covered(2)
    w.reset(inflight=20)
    assert (w.cursor, w.inflight, len(w.awaiting), len(w.uncovered)) == (3, 20, 0, 0)


def test_a_renumbering_watermark_restarts_after_it() -> None:
    w = window(inflight=100)
    send(w, 3)
    w.covered(40, renumbered=True)
    assert w.cursor == 41
    assert not w.uncovered
