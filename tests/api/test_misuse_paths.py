"""A burst marked as misuse by ingest's own rule, read through every path that counts ratings.

Whole hours are read from the rollups; every edge that is not a whole hour (the current hour of the
default windows included) from the raw rows; exports and reasons have their own queries. The misuse rule
must hold on each: marked ratings are kept, counted as misuse, and never in the faces or the reasons.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg

from collector.insight.periods import Pieces, split
from collector.store import aggregates, registry
from collector.store.writes import WriteOptions
from tests.api.known_data import many, store
from tests.fixtures.fix_api import Api

ROME = ZoneInfo("Europe/Rome")
RULE = WriteOptions().misuse
"""Ingest's default: more than 5 presses of one kiosk within 60 s are misuse."""
KEPT = RULE.max_presses
BURST = 50


def at(hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2025, 3, 4, hour, minute, second, tzinfo=ROME)


HONEST = many(at(10), {"positive": 40, "negative": 5})
"""10:00-10:22, one every 30 s: never a burst."""


def seed(api: Api) -> None:
    store(api.database_url, HONEST, misuse=RULE)
    burst = many(at(11, 20), {"negative": BURST}, every=timedelta(seconds=1), reason="waiting-time")
    store(api.database_url, burst, misuse=RULE)


def test_whole_hours_partial_hours_and_sub_hour_edges_agree(api: Api) -> None:
    seed(api)
    whole = api.get("/v1/overview", **{"from": "2025-03-01", "to": "2025-04-01"})["rows"][0]
    assert whole["counts"] == {"positive": 40, "neutral": 0, "negative": 5 + KEPT}
    assert whole["misuse"] == BURST - KEPT
    for start, end in ((at(11), at(12)), (at(11, 15), at(11, 45)), (at(11, 20), at(11, 21)), (at(10, 10), at(11, 30))):
        summary = api.get("/v1/service-points/sp-1/summary", **{"from": start.isoformat(), "to": end.isoformat()})
        honest = [p for p in HONEST if start <= p.at < end]
        negatives = sum(p.face.value == "negative" for p in honest)
        assert (summary["total"], summary["misuse"]) == (len(honest) + KEPT, BURST - KEPT), (start, end)
        assert summary["counts"]["negative"] == negatives + KEPT, (start, end)


def test_reasons_count_only_what_is_not_misuse_on_both_paths(api: Api) -> None:
    seed(api)
    ranking = api.get("/v1/organisations/org/reasons/ranking", **{"from": "2025-03-01", "to": "2025-04-01"})
    assert [(r["code"], r["count"]) for r in ranking["reasons"]] == [("waiting-time", KEPT)]
    assert ranking["negative"] == 5 + KEPT
    # The API takes dates (reason_daily), but a reader's default period ends at the current hour: the rest
    # of that day comes from raw rows, in the route's own call. Sub-day periods take that path here.
    for start, end in ((at(11, 15), at(11, 45)), (at(9, 30), at(12, 30)), (at(11, 20, 10), at(11, 20, 40))):
        found = asyncio.run(_reasons(api.database_url, split(start, end, ROME, months=False, hours=False)))
        assert found == {"waiting-time": KEPT if start <= at(11, 20) else 0} or (start > at(11, 20) and found == {})


async def _reasons(database_url: str, pieces: Pieces) -> dict[str, int]:
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        points = await registry.service_point_ids(conn, "org")
        assert pieces.raw
        assert not pieces.days
        return await aggregates.reasons(conn, pieces, aggregates.Filters(points))


def test_a_readers_ranking_of_today_is_read_from_raw_rows(api: Api) -> None:
    """A reader's period ends at the current hour: today before it has no whole day, only raw rows (the
    raw-only query once failed for want of a column name)."""
    seed(api)
    today = datetime.now(ROME).date()
    period = {"from": today.isoformat(), "to": (today + timedelta(days=1)).isoformat()}
    assert api.get("/v1/organisations/org/reasons/ranking", api.reader, **period)["reasons"] == []


def test_the_raw_export_marks_every_misuse_rating(api: Api) -> None:
    seed(api)
    response = api.client.get(
        "/v1/exports/ratings",
        params={
            "org": "org",
            "format": "ndjson",
            "from": "2025-03-04",
            "to": "2025-03-05",
        },
        headers=api.headers(None),
    )
    assert response.status_code == 200, response.text
    rows = [json.loads(line) for line in response.text.splitlines()]
    assert len(rows) == len(HONEST) + BURST
    assert [r["misuse"] for r in rows] == [False] * (len(HONEST) + KEPT) + [True] * (BURST - KEPT)


def test_the_current_hour_of_the_default_windows(api: Api) -> None:
    now = datetime.now(UTC)
    into_hour = now - now.replace(minute=0, second=0, microsecond=0)
    if into_hour < timedelta(seconds=10):  # room for the burst within this hour, before now
        time.sleep(10 - into_hour.total_seconds())
        now = datetime.now(UTC)
    start = now.replace(minute=0, second=0, microsecond=0) + timedelta(seconds=1)
    burst = many(start, {"negative": BURST}, every=timedelta(milliseconds=100), service_point="sp-2")
    store(api.database_url, burst, misuse=RULE)
    summary = api.get("/v1/service-points/sp-2/summary")
    assert (summary["total"], summary["misuse"]) == (KEPT, BURST - KEPT)
    row = next(r for r in api.get("/v1/overview")["rows"] if r["service_point"] == "sp-2")
    assert (row["counts"]["negative"], row["misuse"]) == (KEPT, BURST - KEPT)
