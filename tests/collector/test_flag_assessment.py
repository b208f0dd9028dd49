"""The flag rule's Python side, without a database: the columns the SQL pieces name are the ones `assessment`
reads, and an assessment carries the row's shares, bounds, state and reasons face by face."""

from __future__ import annotations

import re

import pytest

from collector.insight.flags import FlagState, Share, assessment, bound_columns, interval_columns, verdict_columns


def aliases(composable: object) -> set[str]:
    text = composable.as_string()  # type: ignore[attr-defined]
    return set(re.findall(r'AS "?([a-z_]+)"?', text))


def row(positive: int, neutral: int, negative: int, **extra: object) -> dict[str, object]:
    bounds = {
        "positive_low": 0.61,
        "positive_high": 0.62,
        "neutral_low": 0.21,
        "neutral_high": 0.22,
        "negative_low": 0.11,
        "negative_high": 0.12,
    }
    return {"positive": positive, "neutral": neutral, "negative": negative, **bounds, **extra}


def test_the_sql_pieces_name_what_an_assessment_reads() -> None:
    assert aliases(interval_columns("p", "u", "r")) == {
        f"{face}_{end}" for face in ("positive", "neutral", "negative") for end in ("low", "high")
    }
    assert aliases(verdict_columns("p", "u", "r", "t")) == {"state", "reasons"}
    verdict = verdict_columns("p", "u", "r", "t").as_string()
    judged = '("p" + "u" + "r"), green_high, red_low, "t_min_green_share", "t_max_red_share", "t_min_ratings"'
    assert verdict == f"mlf_flag_of({judged}) AS state, mlf_flag_reasons_of({judged}) AS reasons"
    assert aliases(bound_columns("p", "u", "r")) == {"green_high", "red_low"}
    # Each face's interval is computed from its own column, out of the three.
    text = interval_columns("p", "u", "r").as_string()
    assert 'mlf_wilson_low("u", "p" + "u" + "r") AS "neutral_low"' in text
    assert 'mlf_wilson_high("r", "p" + "u" + "r") AS "negative_high"' in text


def test_an_assessment_takes_each_face_from_its_own_columns() -> None:
    got = assessment(row(6, 3, 1, state="below_target", reasons=["red_share_above_limit"]))
    assert got.total == 10
    assert got.positive == Share(0.6, 0.61, 0.62)
    assert got.neutral == Share(0.3, 0.21, 0.22)
    assert got.negative == Share(0.1, 0.11, 0.12)
    assert got.state is FlagState.BELOW_TARGET
    assert got.reasons == ("red_share_above_limit",)


def test_no_ratings_is_a_share_of_zero_not_a_division_by_zero() -> None:
    got = assessment(row(0, 0, 0, state="not_enough_data", reasons=[]))
    assert (got.total, got.positive.share, got.neutral.share, got.negative.share) == (0, 0.0, 0.0, 0.0)
    assert got.state is FlagState.NOT_ENOUGH_DATA
    assert got.reasons == ()


def test_a_state_the_rule_does_not_know_is_refused() -> None:
    with pytest.raises(ValueError, match="green"):
        assessment(row(1, 0, 0, state="green", reasons=[]))
