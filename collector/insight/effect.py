"""Did an improvement action work? Green and red shares before and after it, and their difference.

The action's day `d` starts the "after" window [d, d + W); "before" is [d - W, d), W a whole number of weeks,
so both hold the same weekdays. Only the hours in which the service point was open count (by its opening
hours; every hour where none are set), and only whole hours that are over (as for reader keys: no answer tells
how the last citizen voted). While the after window is still running, before is the same stretch of its window
(the same weekdays and hours, W days earlier), so like is always compared with like.

Each share has its 95% Wilson interval (`collector.insight.flags`), each difference (after - before) its 95% interval by
Newcombe's hybrid score method on those Wilson intervals (`mlf_newcombe_low/high`). The verdict:
- not enough data (yet): fewer ratings than the target's minimum in either window;
- improved: green clearly up (its difference's interval above 0) or red clearly down, and neither clearly worse;
- worse: green clearly down or red clearly up, and neither clearly better;
- no clear change: otherwise (also when green and red both rose, or both fell).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from psycopg import AsyncConnection

from collector.insight import flags
from collector.insight.periods import midnight
from collector.store import actions, effects, opening_hours, targets
from collector.store.reads import FaceCounts
from collector.store.scope import EVERYWHERE
from i18n import N_

Verdict = Literal["improved", "worse", "no_clear_change", "not_enough_data"]
VERDICTS: dict[str, str] = {
    "improved": N_("improved"),
    "worse": N_("worse"),
    "no_clear_change": N_("no clear change"),
    "not_enough_data": N_("not enough data yet"),
}


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime
    counts: FaceCounts
    green: flags.Share
    red: flags.Share


@dataclass(frozen=True)
class Difference:
    difference: float
    low: float
    high: float


@dataclass(frozen=True)
class Effect:
    before: Window
    after: Window
    complete: bool
    """The after window is over: the comparison will not change."""
    green_change: Difference | None
    red_change: Difference | None
    verdict: Verdict
    min_ratings: int
    opening_hours_known: bool


def windows(day: date, weeks_days: int, zone: ZoneInfo, now: datetime) -> tuple[tuple[datetime, datetime], ...]:
    """(before, after) as instants; `now` is floored to its hour."""
    now = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    start, full_end = midnight(day, zone), midnight(day + timedelta(days=weeks_days), zone)
    end = max(start, min(full_end, now))
    local = end.astimezone(zone)
    before_end = datetime.combine(local.date() - timedelta(days=weeks_days), local.time(), zone)
    return (midnight(day - timedelta(days=weeks_days), zone), before_end), (start, end)


def _verdict(green: Difference | None, red: Difference | None, enough: bool) -> Verdict:
    if not enough or green is None or red is None:
        return "not_enough_data"
    better = green.low > 0 or red.high < 0
    worse = green.high < 0 or red.low > 0
    if better and not worse:
        return "improved"
    if worse and not better:
        return "worse"
    return "no_clear_change"


async def _points(conn: AsyncConnection[Any], action: dict[str, Any]) -> list[str]:
    """The service point of the action, or every service point of its organisation for a service's action."""
    if action["service_point_id"] is not None:
        return [action["service_point_id"]]
    return await actions.service_points(conn, action["org_id"])


async def effect(conn: AsyncConnection[Any], action: dict[str, Any], now: datetime) -> Effect:
    """The effect of one action (a row of `collector.store.actions`)."""
    zone = ZoneInfo(action["timezone"])
    before, after = windows(action["taken_on"], action["window_days"], zone, now)
    points = await _points(conn, action)
    opened = await opening_hours.open_periods(conn, points, before[0], after[1], scope=EVERYWHERE)
    known = any(p is not None for p in opened.values())
    spans = {sp: p if p is not None else [(before[0], after[1])] for sp, p in opened.items()}
    counted = await effects.open_counts(conn, spans, [before, after], action["service_id"])
    target = await targets.applying(conn, action["org_id"], action["service_point_id"] or "", action["service_id"])
    judged = await flags.assess(conn, [c[:3] for c in counted], target)
    (b, a) = counted
    n_b, n_a = b.total, a.total
    green, red = await effects.differences(
        conn, [(a.positive, n_a, b.positive, n_b), (a.negative, n_a, b.negative, n_b)]
    )
    green_change = Difference(a.positive / n_a - b.positive / n_b, *green) if green else None
    red_change = Difference(a.negative / n_a - b.negative / n_b, *red) if red else None
    enough = min(n_b, n_a) >= target.min_ratings
    return Effect(
        before=Window(before[0], before[1], b, judged[0].positive, judged[0].negative),
        after=Window(after[0], after[1], a, judged[1].positive, judged[1].negative),
        complete=after[1] >= midnight(action["taken_on"] + timedelta(days=action["window_days"]), zone),
        green_change=green_change,
        red_change=red_change,
        verdict=_verdict(green_change, red_change, enough),
        min_ratings=target.min_ratings,
        opening_hours_known=known,
    )
