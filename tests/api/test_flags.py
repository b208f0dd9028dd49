"""Wilson bounds against published values and an independent implementation; flag states at the edges."""

from __future__ import annotations

import math
from statistics import NormalDist

import pytest
from hypothesis import given
from hypothesis import strategies as st

from collector.flags import DEFAULT_TARGET, FlagState, Target, assess, resolve_target, sort_key, wilson

# Newcombe, "Two-sided confidence intervals for the single proportion" (Stat. Med. 1998), table I,
# Wilson score method without continuity correction, to four decimals.
NEWCOMBE = [
    ((81, 263), (0.2553, 0.3662)),
    ((15, 148), (0.0624, 0.1605)),
    ((0, 20), (0.0000, 0.1611)),
    ((1, 29), (0.0061, 0.1718)),
]


def reference(k: int, n: int) -> tuple[float, float]:
    """The interval as the roots of (p - k/n)^2 = z^2 p (1 - p) / n, solved as a quadratic."""
    z = NormalDist().inv_cdf(0.975)
    a = 1 + z * z / n
    b = -(2 * k / n + z * z / n)
    c = (k / n) ** 2
    root = math.sqrt(b * b - 4 * a * c)
    return (-b - root) / (2 * a), (-b + root) / (2 * a)


@pytest.mark.parametrize(("observed", "expected"), NEWCOMBE)
def test_wilson_matches_newcombe_table(observed: tuple[int, int], expected: tuple[float, float]) -> None:
    low, high = wilson(*observed)
    assert round(low, 4) == expected[0]
    assert round(high, 4) == expected[1]


@given(st.integers(min_value=1, max_value=100_000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_equals_the_quadratic_roots(kn: tuple[int, int]) -> None:
    k, n = kn
    low, high = wilson(k, n)
    ref_low, ref_high = reference(k, n)
    assert low == pytest.approx(max(0.0, ref_low), abs=1e-9)
    assert high == pytest.approx(min(1.0, ref_high), abs=1e-9)
    assert low <= k / n <= high


def test_no_observation_is_the_whole_range() -> None:
    assert wilson(0, 0) == (0.0, 1.0)


TARGET = Target(min_green_share=0.75, max_red_share=0.10, min_ratings=30, window_days=28)


def test_observed_share_exactly_at_target_is_on_target() -> None:
    # 75 green of 100 is the target itself; the interval reaches well above it.
    a = assess(75, 20, 5, TARGET)
    assert a.positive.share == 0.75
    assert a.state is FlagState.ON_TARGET
    assert a.reasons == ()


def test_upper_bound_exactly_at_target_is_not_below() -> None:
    high = wilson(60, 100)[1]
    assert assess(60, 35, 5, Target(high, 1.0, 30, 28)).state is FlagState.ON_TARGET
    just_above = Target(math.nextafter(high, 1.0), 1.0, 30, 28)
    a = assess(60, 35, 5, just_above)
    assert a.state is FlagState.BELOW_TARGET
    assert a.reasons == ("green_share_below_target",)


def test_red_lower_bound_exactly_at_limit_is_not_below() -> None:
    low = wilson(20, 100)[0]
    assert assess(80, 0, 20, Target(0.0, low, 30, 28)).state is FlagState.ON_TARGET
    a = assess(80, 0, 20, Target(0.0, math.nextafter(low, 0.0), 30, 28))
    assert a.state is FlagState.BELOW_TARGET
    assert a.reasons == ("red_share_above_limit",)


def test_tiny_samples_are_not_enough_data_however_bad() -> None:
    assert assess(0, 0, 3, TARGET).state is FlagState.NOT_ENOUGH_DATA
    assert assess(0, 0, 29, TARGET).state is FlagState.NOT_ENOUGH_DATA
    assert assess(0, 0, 30, TARGET).state is FlagState.BELOW_TARGET


def test_bad_share_on_a_small_sample_is_not_blamed() -> None:
    # 20 of 30 green (67%) is under 75%, but the interval (0.49-0.81) still reaches the target.
    a = assess(20, 8, 2, TARGET)
    assert a.positive.share < 0.75 < a.positive.high
    assert a.state is FlagState.ON_TARGET
    # The same share on 600 ratings is below target.
    assert assess(400, 160, 40, TARGET).state is FlagState.BELOW_TARGET


def test_both_limits_can_be_missed() -> None:
    assert assess(45, 20, 35, TARGET).reasons == ("green_share_below_target", "red_share_above_limit")


def test_shares_are_exact_fractions() -> None:
    a = assess(81, 13, 6)
    assert (a.positive.share, a.neutral.share, a.negative.share) == (0.81, 0.13, 0.06)
    assert a.total == 100


def test_worst_first() -> None:
    states = [assess(0, 0, 1), assess(90, 5, 5), assess(40, 30, 30), assess(60, 20, 20)]
    ordered = sorted(states, key=sort_key)
    assert [a.state for a in ordered] == [
        FlagState.BELOW_TARGET,
        FlagState.BELOW_TARGET,
        FlagState.ON_TARGET,
        FlagState.NOT_ENOUGH_DATA,
    ]
    assert ordered[0].positive.share == 0.4


def test_most_specific_target_applies() -> None:
    sp, service, org = (
        Target(0.9, 0.05, 10, 7, "service_point"),
        Target(0.8, 0.1, 10, 7, "service"),
        Target(0.7, 0.2, 10, 7, "organisation"),
    )
    targets = {("service_point", "a"): sp, ("service", "tributi"): service, ("organisation", ""): org}
    assert resolve_target("a", "tributi", targets) is sp
    assert resolve_target("b", "tributi", targets) is service
    assert resolve_target("b", None, targets) is org
    assert resolve_target("b", None, {}) is DEFAULT_TARGET
