"""The flag rule as the database computes it: Wilson bounds against published values and an independent
implementation, and the flag states at the edges."""

from __future__ import annotations

import asyncio
import math
import random
from statistics import NormalDist

import psycopg
import pytest

from collector.insight.flags import Assessment, FlagState, assess
from collector.store.targets import Target

# Newcombe, "Two-sided confidence intervals for the single proportion" (Stat. Med. 1998), table I,
# Wilson score method without continuity correction, to four decimals.
NEWCOMBE = [
    ((81, 263), (0.2553, 0.3662)),
    ((15, 148), (0.0624, 0.1605)),
    ((0, 20), (0.0000, 0.1611)),
    ((1, 29), (0.0061, 0.1718)),
]
TARGET = Target(min_green_share=0.75, max_red_share=0.10, min_ratings=30, window_days=28)
Db = psycopg.Connection[tuple[object, ...]]


def reference(k: int, n: int) -> tuple[float, float]:
    """The interval as the roots of (p - k/n)^2 = z^2 p (1 - p) / n, solved as a quadratic."""
    z = NormalDist().inv_cdf(0.975)
    a = 1 + z * z / n
    b = -(2 * k / n + z * z / n)
    c = (k / n) ** 2
    root = math.sqrt(b * b - 4 * a * c)
    return max(0.0, (-b - root) / (2 * a)), min(1.0, (-b + root) / (2 * a))


def bounds(db: Db, k: int, n: int) -> tuple[float, float]:
    row = db.execute("SELECT mlf_wilson_low(%s, %s), mlf_wilson_high(%s, %s)", (k, n, k, n)).fetchone()
    assert row is not None
    return float(row[0]), float(row[1])  # type: ignore[arg-type]


def flag(db: Db, positive: int, neutral: int, negative: int, t: Target) -> tuple[str, list[str]]:
    args = (positive, neutral, negative, t.min_green_share, t.max_red_share, t.min_ratings)
    row = db.execute("SELECT mlf_flag(%s, %s, %s, %s, %s, %s), mlf_flag_reasons(%s, %s, %s, %s, %s, %s)", args * 2)
    found = row.fetchone()
    assert found is not None
    return str(found[0]), list(found[1])  # type: ignore[call-overload]


@pytest.mark.parametrize(("observed", "expected"), NEWCOMBE)
def test_wilson_matches_newcombe_table(db: Db, observed: tuple[int, int], expected: tuple[float, float]) -> None:
    low, high = bounds(db, *observed)
    assert round(low, 4) == expected[0]
    assert round(high, 4) == expected[1]


def test_wilson_equals_the_quadratic_roots(db: Db) -> None:
    rng = random.Random(11)
    pairs = [(0, 1), (1, 1), (0, 100_000), (100_000, 100_000), (1, 2)]
    pairs += [(k, n) for n in (rng.randint(1, 100_000) for _ in range(3000)) for k in [rng.randint(0, n)]]
    ks, ns = [k for k, _ in pairs], [n for _, n in pairs]
    rows = db.execute(
        "SELECT mlf_wilson_low(k, n), mlf_wilson_high(k, n) FROM unnest(%s::bigint[], %s::bigint[])"
        " WITH ORDINALITY AS t(k, n, i) ORDER BY i",
        (ks, ns),
    ).fetchall()
    for (k, n), (low, high) in zip(pairs, rows, strict=True):
        ref_low, ref_high = reference(k, n)
        assert low == pytest.approx(ref_low, abs=1e-9), (k, n)
        assert high == pytest.approx(ref_high, abs=1e-9), (k, n)
        assert low <= k / n <= high  # type: ignore[operator]
    assert rows[0][0] == 0.0  # exact at the edges, not 1e-17 off
    assert rows[3][1] == 1.0


def test_no_observation_is_the_whole_range(db: Db) -> None:
    assert bounds(db, 0, 0) == (0.0, 1.0)


def test_observed_share_exactly_at_target_is_on_target(db: Db) -> None:
    # 75 green of 100 is the target itself; the interval reaches well above it.
    assert flag(db, 75, 20, 5, TARGET) == ("on_target", [])


def test_upper_bound_exactly_at_target_is_not_below(db: Db) -> None:
    high = bounds(db, 60, 100)[1]
    assert flag(db, 60, 35, 5, Target(high, 1.0, 30, 28))[0] == "on_target"
    just_above = Target(math.nextafter(high, 1.0), 1.0, 30, 28)
    assert flag(db, 60, 35, 5, just_above) == ("below_target", ["green_share_below_target"])


def test_red_lower_bound_exactly_at_limit_is_not_below(db: Db) -> None:
    low = bounds(db, 20, 100)[0]
    assert flag(db, 80, 0, 20, Target(0.0, low, 30, 28))[0] == "on_target"
    assert flag(db, 80, 0, 20, Target(0.0, math.nextafter(low, 0.0), 30, 28)) == (
        "below_target",
        ["red_share_above_limit"],
    )


def test_tiny_samples_are_not_enough_data_however_bad(db: Db) -> None:
    assert flag(db, 0, 0, 3, TARGET)[0] == "not_enough_data"
    assert flag(db, 0, 0, 29, TARGET)[0] == "not_enough_data"
    assert flag(db, 0, 0, 30, TARGET)[0] == "below_target"


def test_bad_share_on_a_small_sample_is_not_blamed(db: Db) -> None:
    # 20 of 30 green (67%) is under 75%, but the interval (0.49-0.81) still reaches the target.
    assert bounds(db, 20, 30)[1] > 0.75
    assert flag(db, 20, 8, 2, TARGET)[0] == "on_target"
    # The same share on 600 ratings is below target.
    assert flag(db, 400, 160, 40, TARGET)[0] == "below_target"


def test_both_limits_can_be_missed(db: Db) -> None:
    assert flag(db, 45, 20, 35, TARGET)[1] == ["green_share_below_target", "red_share_above_limit"]


def test_python_face_assess_reads_the_same_rule(database_url: str) -> None:
    async def run() -> list[Assessment]:
        async with await psycopg.AsyncConnection.connect(database_url) as conn:
            return await assess(conn, [(81, 13, 6), (0, 0, 0), (45, 20, 35)], TARGET)

    good, empty, bad = asyncio.run(run())
    assert good.total == 100
    assert (good.positive.share, good.neutral.share, good.negative.share) == (0.81, 0.13, 0.06)
    assert good.state is FlagState.ON_TARGET
    assert (good.positive.low, good.positive.high) == pytest.approx(reference(81, 100))
    assert empty.state is FlagState.NOT_ENOUGH_DATA
    assert (empty.positive.low, empty.positive.high) == (0.0, 1.0)
    assert bad.reasons == ("green_share_below_target", "red_share_above_limit")
