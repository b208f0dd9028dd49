"""Is a service point below target? The one place that decides, for the API, the board, alerts and Grafana.

A flag must not blame a counter for noise: three red faces out of five say little. So the observed
shares are judged by their 95% Wilson score intervals, and a service point is "below target" only when
even the most favourable end of the interval misses the target:

- the upper bound of the green share is under the minimum green share, or
- the lower bound of the red share is over the maximum red share,

with at least `min_ratings` ratings. Fewer ratings: "not enough data". Otherwise: "on target".
Ratings marked as misuse (bursts) are not counted here; callers report them beside.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

Z95 = 1.959963984540054
"""Two-sided 95%: the 97.5th percentile of the standard normal distribution."""
_Z2 = Z95 * Z95


class FlagState(StrEnum):
    BELOW_TARGET = "below_target"
    ON_TARGET = "on_target"
    NOT_ENOUGH_DATA = "not_enough_data"


SEVERITY = {FlagState.BELOW_TARGET: 0, FlagState.ON_TARGET: 1, FlagState.NOT_ENOUGH_DATA: 2}
"""Sort order of the overview: worst first."""


@dataclass(frozen=True, slots=True)
class Target:
    min_green_share: float = 0.75
    max_red_share: float = 0.10
    min_ratings: int = 30
    window_days: int = 28
    source: str = "default"
    """Where the target comes from: service_point, service, organisation or default."""


DEFAULT_TARGET = Target()
"""Used when an organisation set none: 3 in 4 green, at most 1 in 10 red, 30 ratings, 4 whole weeks."""


@dataclass(frozen=True, slots=True)
class Share:
    share: float
    low: float
    high: float


@dataclass(frozen=True, slots=True)
class Assessment:
    total: int
    positive: Share
    neutral: Share
    negative: Share
    state: FlagState
    reasons: tuple[str, ...]
    """Why below target: `green_share_below_target`, `red_share_above_limit`."""


def wilson(successes: int, n: int) -> tuple[float, float]:
    """95% Wilson score interval of a proportion; (0, 1) when there is no observation."""
    if n <= 0:
        return 0.0, 1.0
    p = successes / n
    denominator = 1 + _Z2 / n
    centre = (p + _Z2 / (2 * n)) / denominator
    half = Z95 * math.sqrt(p * (1 - p) / n + _Z2 / (4 * n * n)) / denominator
    low = 0.0 if successes == 0 else max(0.0, centre - half)  # exact at the edges, not 1e-17 off
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


def _share(count: int, n: int) -> Share:
    low, high = wilson(count, n)
    return Share(count / n if n else 0.0, low, high)


def assess(positive: int, neutral: int, negative: int, target: Target = DEFAULT_TARGET) -> Assessment:
    """Shares with intervals and the flag, from counts that exclude misuse."""
    n = positive + neutral + negative
    green, yellow, red = _share(positive, n), _share(neutral, n), _share(negative, n)
    reasons: tuple[str, ...] = ()
    if n < target.min_ratings:
        state = FlagState.NOT_ENOUGH_DATA
    else:
        if green.high < target.min_green_share:
            reasons += ("green_share_below_target",)
        if red.low > target.max_red_share:
            reasons += ("red_share_above_limit",)
        state = FlagState.BELOW_TARGET if reasons else FlagState.ON_TARGET
    return Assessment(n, green, yellow, red, state, reasons)


def sort_key(assessment: Assessment) -> tuple[int, float, float]:
    """Worst first: below target, then on target, then not enough data; within each, lowest green bound first."""
    return SEVERITY[assessment.state], assessment.positive.high, -assessment.negative.low


def resolve_target(
    service_point: str,
    service: str | None,
    targets: dict[tuple[str, str], Target],
) -> Target:
    """The most specific target: the service point's, the service's (when the view is one service),
    then the organisation's default, then `DEFAULT_TARGET`. `targets` is keyed by (scope, scope_id)."""
    keys = [("service_point", service_point), ("service", service or ""), ("organisation", "")]
    for key in keys if service else [keys[0], keys[2]]:
        if key in targets:
            return targets[key]
    return DEFAULT_TARGET
