"""Is a service point below target? The one rule, and the one place it is computed.

A flag must not blame a counter for noise: three red faces out of five say little. So the observed
shares are judged by their 95% Wilson score intervals, and a service point is "below target" only when
even the most favourable end of the interval misses the target:

- the upper bound of the green share is under the minimum green share, or
- the lower bound of the red share is over the maximum red share,

with at least `min_ratings` ratings. Fewer ratings: "not enough data". Otherwise: "on target".
Ratings marked as misuse (bursts) are not counted here; callers report them beside.

The rule is implemented once, as SQL functions in the database (`mlf_wilson_low`, `mlf_wilson_high`,
`mlf_flag`, `mlf_flag_reasons`, migration 0051_flags.sql), because everything that shows a flag reads
the database: the API (through this module), the board, alerts and Grafana's PostgreSQL data source.
It also lets the overview judge and sort thousands of service points where their counts are. This
module names the states and is the one Python module that builds SQL with those functions (the
overview, `collector.insight.indicators`, puts its pieces together); which target applies is
`collector.store.targets`'.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from psycopg import AsyncConnection, sql
from psycopg.rows import dict_row

from collector.store.targets import DEFAULT_TARGET, Target


class FlagState(StrEnum):
    BELOW_TARGET = "below_target"
    ON_TARGET = "on_target"
    NOT_ENOUGH_DATA = "not_enough_data"


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


def _args(positive: str, neutral: str, negative: str, target: str) -> sql.Composable:
    return sql.SQL("({p} + {u} + {r}), green_high, red_low, {g}, {x}, {m}").format(
        p=sql.Identifier(positive),
        u=sql.Identifier(neutral),
        r=sql.Identifier(negative),
        g=sql.Identifier(f"{target}_min_green_share"),
        x=sql.Identifier(f"{target}_max_red_share"),
        m=sql.Identifier(f"{target}_min_ratings"),
    )


def bound_columns(positive: str, neutral: str, negative: str) -> sql.Composable:
    """`green_high, red_low`: the two bounds the rule looks at, from counts in the named columns."""
    p, r = sql.Identifier(positive), sql.Identifier(negative)
    n = sql.SQL("({} + {} + {})").format(p, sql.Identifier(neutral), r)
    return sql.SQL("mlf_wilson_high({p}, {n}) AS green_high, mlf_wilson_low({r}, {n}) AS red_low").format(p=p, r=r, n=n)


def severity_column(positive: str, neutral: str, negative: str, target: str) -> sql.Composable:
    """`severity` (0 below target, 1 on target, 2 not enough data), over `bound_columns` and the target
    columns `<target>_min_green_share`, `_max_red_share`, `_min_ratings` (see `collector.store.targets`)."""
    return sql.SQL("mlf_flag_rank(mlf_flag_of({})) AS severity").format(_args(positive, neutral, negative, target))


def verdict_columns(positive: str, neutral: str, negative: str, target: str) -> sql.Composable:
    """`state, reasons`, over the same columns as `severity_column`."""
    args = _args(positive, neutral, negative, target)
    return sql.SQL("mlf_flag_of({a}) AS state, mlf_flag_reasons_of({a}) AS reasons").format(a=args)


WORST_FIRST = sql.SQL("severity, green_high, red_low DESC")
"""Below target, then on target, then not enough data; within each, lowest upper bound of green first."""


def interval_columns(positive: str, neutral: str, negative: str) -> sql.Composable:
    """`<face>_low, <face>_high` of the three faces."""
    faces = (("positive", positive), ("neutral", neutral), ("negative", negative))
    n = sql.SQL(" + ").join(sql.Identifier(c) for _, c in faces)
    return sql.SQL(", ").join(
        sql.SQL("mlf_wilson_low({c}, {n}) AS {lo}, mlf_wilson_high({c}, {n}) AS {hi}").format(
            c=sql.Identifier(column), n=n, lo=sql.Identifier(f"{face}_low"), hi=sql.Identifier(f"{face}_high")
        )
        for face, column in faces
    )


def assessment(row: dict[str, Any]) -> Assessment:
    """An `Assessment` from a row holding counts, `verdict_columns` and `interval_columns`."""
    n = row["positive"] + row["neutral"] + row["negative"]

    def share(face: str) -> Share:
        return Share(row[face] / n if n else 0.0, row[f"{face}_low"], row[f"{face}_high"])

    return Assessment(
        n, share("positive"), share("neutral"), share("negative"), FlagState(row["state"]), tuple(row["reasons"])
    )


ASSESS_MANY = sql.SQL(
    "SELECT *, {verdict}, {intervals} FROM (SELECT *, {bounds} FROM unnest("
    "%(positive)s::bigint[], %(neutral)s::bigint[], %(negative)s::bigint[], %(min_green_share)s::float8[],"
    " %(max_red_share)s::float8[], %(min_ratings)s::int[]) WITH ORDINALITY"
    " AS t(positive, neutral, negative, t_min_green_share, t_max_red_share, t_min_ratings, i)) AS b ORDER BY i"
).format(
    bounds=bound_columns("positive", "neutral", "negative"),
    verdict=verdict_columns("positive", "neutral", "negative", "t"),
    intervals=interval_columns("positive", "neutral", "negative"),
)


async def assess(
    conn: AsyncConnection[Any], counts: Sequence[tuple[int, int, int]], target: Target = DEFAULT_TARGET
) -> list[Assessment]:
    """Shares with intervals and the flag for each (positive, neutral, negative), in one round trip."""
    return await assess_each(conn, counts, [target] * len(counts))


async def assess_each(
    conn: AsyncConnection[Any], counts: Sequence[tuple[int, int, int]], targets: Sequence[Target]
) -> list[Assessment]:
    """The same, each counts judged by its own target."""
    if not counts:
        return []
    positive, neutral, negative = ([c[i] for c in counts] for i in range(3))
    params = {
        "positive": positive,
        "neutral": neutral,
        "negative": negative,
        "min_green_share": [t.min_green_share for t in targets],
        "max_red_share": [t.max_red_share for t in targets],
        "min_ratings": [t.min_ratings for t in targets],
    }
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(ASSESS_MANY, params)
        return [assessment(row) for row in await cur.fetchall()]
