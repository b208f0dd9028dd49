"""Sequence bookkeeping of one kiosk instance, pure: which numbers are missing, and the ack watermark.

A kiosk's outbox (an instance) numbers its ratings 1, 2, 3, ... across restarts. The
collector remembers the highest number accounted for (`max_seq`) and the open gaps
below it. A number is accounted for once a rating carrying it is stored (new, or a
duplicate of an event stored before), or quarantined after parsing (it will never be
stored, and resending it cannot help). The watermark is the highest N such that every
number <= N is accounted for: it is what lets that instance forget its ratings.

A new event under a number already accounted for (not in an open gap) means two
writers share the numbering: a copied outbox, or two kiosks that send no instance.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Gap:
    """Missing numbers first..last (inclusive). `opened_at` None: opened now."""

    first: int
    last: int
    opened_at: datetime | None = None


@dataclass
class SequenceUpdate:
    max_seq: int
    watermark: int
    closed: list[Gap] = field(default_factory=list)
    """Open gaps that some of the new numbers fell into: closed now."""
    opened: list[Gap] = field(default_factory=list)
    """Gaps to open: new holes above the old maximum, and what remains of the closed ones."""
    reused: list[int] = field(default_factory=list)
    """Numbers of new events that were accounted for already (see the module doc)."""

    @property
    def changed(self) -> bool:
        return bool(self.closed or self.opened)


def account(max_seq: int, open_gaps: Sequence[Gap], seqs: Iterable[int], fresh: Iterable[int] = ()) -> SequenceUpdate:
    """What accounting for `seqs` changes, given the instance's `max_seq` and open gaps (disjoint, <= max_seq);
    `fresh`: the numbers among them that came with events stored for the first time."""
    new = sorted(set(seqs))
    update = SequenceUpdate(max_seq=max_seq, watermark=0)
    update.reused = sorted(s for s in set(fresh) if s <= max_seq and not any(g.first <= s <= g.last for g in open_gaps))
    still_open: list[Gap] = []
    for gap in open_gaps:
        fills = [s for s in new if gap.first <= s <= gap.last]
        if not fills:
            still_open.append(gap)
            continue
        update.closed.append(gap)
        start = gap.first
        for s in fills:
            if s > start:
                update.opened.append(Gap(start, s - 1, gap.opened_at))
            start = s + 1
        if start <= gap.last:
            update.opened.append(Gap(start, gap.last, gap.opened_at))
    previous = max_seq
    for s in new:
        if s <= max_seq:
            continue
        if s > previous + 1:
            update.opened.append(Gap(previous + 1, s - 1))
        previous = s
    update.max_seq = previous
    firsts = [g.first for g in still_open] + [g.first for g in update.opened]
    update.watermark = min(firsts) - 1 if firsts else update.max_seq
    return update
