"""Counts of the ratings given while a service point was open, over periods, and the difference of two shares
with its interval (Newcombe's hybrid score method, `mlf_newcombe_low/high`, migration 0120) for
`collector.insight.effect`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection

from collector.store.reads import FaceCounts
from collector.store.registry import rows

OPEN_COUNTS = """
WITH w AS (SELECT * FROM unnest(%(starts)s::timestamptz[], %(ends)s::timestamptz[]) WITH ORDINALITY AS w(s, e, i)),
o AS (SELECT * FROM unnest(%(sps)s::text[], %(opens)s::timestamptz[], %(closes)s::timestamptz[]) AS o(sp, a, b))
SELECT w.i, coalesce(sum(h.positive), 0)::bigint AS positive, coalesce(sum(h.neutral), 0)::bigint AS neutral,
       coalesce(sum(h.negative), 0)::bigint AS negative, coalesce(sum(h.misuse), 0)::bigint AS misuse
FROM w LEFT JOIN rollup_hourly h ON h.bucket >= w.s AND h.bucket + interval '1 hour' <= w.e
 AND h.service_point_id = ANY(%(points)s) AND (%(service)s::text IS NULL OR h.service_id = %(service)s)
 AND EXISTS (SELECT 1 FROM o WHERE o.sp = h.service_point_id AND o.a < h.bucket + interval '1 hour' AND o.b > h.bucket)
GROUP BY w.i ORDER BY w.i
"""


async def open_counts(
    conn: AsyncConnection[Any],
    opened: Mapping[str, Sequence[tuple[datetime, datetime]]],
    windows: Sequence[tuple[datetime, datetime]],
    service: str | None = None,
) -> list[FaceCounts]:
    """Per window, the ratings (of one service or all) of the hours that lie wholly in the window and in which
    the service point was open for at least a moment (`opened`: service point -> its open periods)."""
    periods = [(sp, a, b) for sp, spans in opened.items() for a, b in spans]
    found = await rows(
        conn,
        OPEN_COUNTS,
        {"starts": [w[0] for w in windows], "ends": [w[1] for w in windows], "points": list(opened),
         "sps": [p[0] for p in periods], "opens": [p[1] for p in periods], "closes": [p[2] for p in periods],
         "service": service},
    )  # fmt: skip
    return [FaceCounts(r["positive"], r["neutral"], r["negative"], r["misuse"]) for r in found]


async def differences(
    conn: AsyncConnection[Any], pairs: Sequence[tuple[int, int, int, int]]
) -> list[tuple[float, float] | None]:
    """The 95% interval of k1/n1 - k2/n2 for each (k1, n1, k2, n2); None where either side has no observation."""
    if not pairs:
        return []
    found = await rows(
        conn,
        "SELECT mlf_newcombe_low(k1, n1, k2, n2) AS low, mlf_newcombe_high(k1, n1, k2, n2) AS high"
        " FROM unnest(%(k1)s::bigint[], %(n1)s::bigint[], %(k2)s::bigint[], %(n2)s::bigint[]) WITH ORDINALITY"
        " AS t(k1, n1, k2, n2, i) ORDER BY i",
        {"k1": [p[0] for p in pairs], "n1": [p[1] for p in pairs], "k2": [p[2] for p in pairs],
         "n2": [p[3] for p in pairs]},
    )  # fmt: skip
    return [None if r["low"] is None else (r["low"], r["high"]) for r in found]
