"""Sequence bookkeeping of one kiosk instance, pure: which numbers are missing, and the ack watermark.

A kiosk's outbox (an instance) numbers its ratings 1, 2, 3, ... across restarts. The
collector remembers the highest number accounted for (`max_seq`) and the open gaps
below it. A number is accounted for once a rating carrying it is stored (new, or a
duplicate of an event stored before), or quarantined after parsing (it will never be
stored, and resending it cannot help). The watermark is the highest N such that every
number <= N is accounted for: it is what lets that instance forget its ratings.

A new event under a number already accounted for (not in an open gap) means two
writers share the numbering: a copied outbox, or two kiosks that send no instance.

A gap below the lowest number the instance still holds (its heartbeat says so) can never
fill: the kiosk deleted those ratings because an earlier watermark covered them, and the
database has since lost them (restored to an older point). `release` closes such a gap
as lost, so the watermark moves on; a lost number that arrives after all is stored and
no longer lost (`found`). Nothing at or above the lowest held number is ever released.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Gap:
    """Missing numbers first..last (inclusive). `opened_at` None: opened now. `lost`: closed as lost (since
    `lost_at`, None: now); it holds the watermark back no more, and a number filling it is found again."""

    first: int
    last: int
    opened_at: datetime | None = None
    lost: bool = False
    lost_at: datetime | None = None

    @property
    def size(self) -> int:
        return self.last - self.first + 1


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
    lost: list[Gap] = field(default_factory=list)
    """Numbers closed as lost now (`release`)."""
    found: int = 0
    """Numbers that had been closed as lost and arrived after all."""

    @property
    def changed(self) -> bool:
        return bool(self.closed or self.opened)


def account(max_seq: int, open_gaps: Sequence[Gap], seqs: Iterable[int], fresh: Iterable[int] = ()) -> SequenceUpdate:
    """What accounting for `seqs` changes, given the instance's `max_seq` and open gaps (disjoint, <= max_seq);
    `fresh`: the numbers among them that came with events stored for the first time."""
    new = sorted(set(seqs))
    fresh = list(fresh)
    if (
        not open_gaps
        and new
        and new[0] == max_seq + 1
        and new[-1] - max_seq == len(new)
        and all(s > max_seq for s in fresh)
    ):  # numbers following on, none missing, none reused: nearly every instance of a busy batch
        return SequenceUpdate(max_seq=new[-1], watermark=new[-1])
    return _account(max_seq, open_gaps, new, fresh)


def _account(max_seq: int, open_gaps: Sequence[Gap], new: list[int], fresh: Iterable[int]) -> SequenceUpdate:
    update = SequenceUpdate(max_seq=max_seq, watermark=0)
    update.reused = sorted(s for s in set(fresh) if s <= max_seq and not any(g.first <= s <= g.last for g in open_gaps))
    still_open: list[Gap] = []
    for gap in open_gaps:
        fills = [s for s in new if gap.first <= s <= gap.last]
        if not fills:
            still_open.append(gap)
            continue
        update.closed.append(gap)
        if gap.lost:
            update.found += len(fills)
        start = gap.first
        for s in fills:
            if s > start:
                update.opened.append(Gap(start, s - 1, gap.opened_at, gap.lost, gap.lost_at))
            start = s + 1
        if start <= gap.last:
            update.opened.append(Gap(start, gap.last, gap.opened_at, gap.lost, gap.lost_at))
    previous = max_seq
    for s in new:
        if s <= max_seq:
            continue
        if s > previous + 1:
            update.opened.append(Gap(previous + 1, s - 1))
        previous = s
    update.max_seq = previous
    update.watermark = _watermark(update.max_seq, [*still_open, *update.opened])
    return update


def _watermark(max_seq: int, gaps: Iterable[Gap]) -> int:
    firsts = [g.first for g in gaps if not g.lost]
    return min(firsts) - 1 if firsts else max_seq


def after(gaps: Sequence[Gap], update: SequenceUpdate) -> list[Gap]:
    """The gaps once `update` (made from `gaps`) is applied."""
    return sorted([g for g in gaps if g not in update.closed] + update.opened, key=lambda g: g.first)


def release(max_seq: int, gaps: Sequence[Gap], held_from: int) -> SequenceUpdate:
    """Close as lost every number below `held_from` (the lowest the instance still holds) that is missing:
    the open gaps' numbers below it, and those between `max_seq` and it (the instance numbered them, deleted
    them, and we never had them or lost them)."""
    update = SequenceUpdate(max_seq=max_seq, watermark=0)
    for gap in gaps:
        if gap.lost or gap.first >= held_from:
            continue
        update.closed.append(gap)
        update.lost.append(Gap(gap.first, min(gap.last, held_from - 1), gap.opened_at, lost=True))
        if gap.last >= held_from:
            update.opened.append(Gap(held_from, gap.last, gap.opened_at))
    if held_from - 1 > max_seq:
        update.lost.append(Gap(max_seq + 1, held_from - 1, lost=True))
        update.max_seq = held_from - 1
    update.opened += update.lost
    update.watermark = _watermark(update.max_seq, after(gaps, update))
    return update
