"""Misuse: a kiosk pressed more than `max_presses` times within `window` is being mashed.

A rating is marked when more than `max_presses` of its kiosk's ratings (itself
included) lie in [pressed_at - window, pressed_at]: the first presses of a burst
count, the rest are kept but marked (`misuse = true`) and counted only in the
rollups' `misuse` column. The rule depends only on the set of stored ratings, not
on the order they arrived in: when a late or re-placed rating changes a window, the
flags around it are recomputed and the rollups move with them, in the same
transaction. (A change of the settings applies to windows touched from then on.)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import psycopg
from psycopg.rows import TupleRow

from collector.store.arrays import array, instants, timestamptz_array
from collector.store.ratings import Placed
from collector.store.rollups import DELTA_COLUMNS, delta_select


@dataclass(frozen=True)
class MisuseRule:
    max_presses: int
    window: timedelta


FLIPS = f"""
SELECT f.kiosk_id, f.pressed_at, f.event_id
FROM unnest(%(kiosks)s::text[], {timestamptz_array("%(lo)s")}, {timestamptz_array("%(hi)s")}) AS s(kiosk_id, lo, hi)
CROSS JOIN LATERAL (
    SELECT r.kiosk_id, r.pressed_at, r.event_id, r.misuse,
        count(*) OVER (ORDER BY r.pressed_at RANGE BETWEEN %(window)s PRECEDING AND CURRENT ROW) AS presses
    FROM ratings r
    WHERE r.kiosk_id = s.kiosk_id AND r.pressed_at >= s.lo - %(window)s AND r.pressed_at <= s.hi + %(window)s
      AND r.source IS NULL
) f
WHERE f.pressed_at >= s.lo AND (f.presses > %(max)s) <> f.misuse
"""  # noqa: S608 - assembled from a constant expression, no input
"""The ratings whose flag the rule now contradicts. Per kiosk, a range scan of its index on
(kiosk_id, pressed_at) already in window order: the cost follows the batch, never the table. Channel ratings
(`source` set) are not a kiosk's presses: their misuse is decided on arrival (`collector.channels.abuse`)."""

FLIP = f"""
WITH flipping AS (
    SELECT r.* FROM unnest(%(kiosks)s::text[], %(at)s::timestamptz[], %(events)s::uuid[]) AS f(kiosk_id, at, event_id)
    JOIN ratings r ON r.kiosk_id = f.kiosk_id AND r.pressed_at = f.at AND r.event_id = f.event_id
), before AS (
    INSERT INTO rollup_delta ({DELTA_COLUMNS}) SELECT {delta_select("flipping", -1)} FROM flipping
), flipped AS (
    UPDATE ratings r SET misuse = NOT f.misuse
    FROM flipping f
    WHERE r.kiosk_id = f.kiosk_id AND r.pressed_at = f.pressed_at AND r.event_id = f.event_id
    RETURNING r.*
), after AS (
    INSERT INTO rollup_delta ({DELTA_COLUMNS}) SELECT {delta_select("flipped", 1)} FROM flipped
)
SELECT count(*) FILTER (WHERE NOT misuse), count(*) FILTER (WHERE misuse) FROM flipping
"""  # noqa: S608 - assembled from the constants above, no input
"""Flip those flags, with their rollup deltas (old state out, new state in)."""


def spans(placed: Iterable[Placed]) -> dict[str, tuple[datetime, datetime]]:
    """Per kiosk, the earliest and latest time where a rating appeared or disappeared."""
    out: dict[str, tuple[datetime, datetime]] = {}
    for p in placed:
        lo, hi = out.get(p.kiosk_id, (p.at, p.at))
        out[p.kiosk_id] = (min(lo, p.at), max(hi, p.at))
    return out


def recount(conn: psycopg.Connection[TupleRow], placed: Iterable[Placed], rule: MisuseRule) -> tuple[int, int]:
    """Recompute the flags every change could affect; (ratings newly marked, ratings unmarked)."""
    by_kiosk = spans(placed)
    if not by_kiosk:
        return 0, 0
    kiosks = sorted(by_kiosk)
    # Never prepared: after five runs PostgreSQL may settle on a generic plan, blind to the batch's few
    # kiosks and short spans, that reads every recent rating per kiosk: with 500 kiosks pressing, a batch
    # took seconds and ingest fell behind (bench/e2e_latency.py). Planning each time costs about a millisecond.
    flips = conn.execute(
        FLIPS,
        {
            "kiosks": array(kiosks),
            "lo": instants(by_kiosk[k][0] for k in kiosks),
            "hi": instants(by_kiosk[k][1] for k in kiosks),
            "window": rule.window,
            "max": rule.max_presses,
        },
        prepare=False,
    ).fetchall()
    if not flips:  # the common case: nobody is mashing a button
        return 0, 0
    row = conn.execute(
        FLIP,
        {
            "kiosks": array(k for k, _, _ in flips),
            "at": array(at for _, at, _ in flips),
            "events": array(e for _, _, e in flips),
        },
    ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])
