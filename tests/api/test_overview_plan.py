"""The overview's plan right after a large load: statistics that still describe small (or never analysed)
tables must not make it quadratic. The statement once joined service points to their counts, and on such
statistics the planner chose a nested loop re-reading every count for every service point: 3.7 s for 1,500
service points, 38 ms after ANALYZE. The assertions are on the plan and on the rows it handled, never on time.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime
from typing import Any

import psycopg
import pytest
from psycopg import sql

from collector.insight.indicators import Overview, Scope, overview, statement
from tests.fixtures.many_points import analyse, load_points, no_autovacuum, rereading_joins, rows_handled

NOW = datetime(2026, 11, 30, 10, 17, tzinfo=UTC)
BIG, SMALL = 2_600, 400
SCOPES = {
    "the nation": (Scope(), None),
    "one organisation": (Scope(org="small"), None),
    "one service, a month": (Scope(service="tributi"), (date(2026, 11, 1), date(2026, 12, 1))),
}


@pytest.fixture
def loaded(database_url: str) -> tuple[str, int]:
    """3,000 service points in two organisations, one with a target of its own (a second window), counts
    loaded after the tables were analysed nearly empty: what autovacuum saw before the load."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        no_autovacuum(conn)
        conn.execute("INSERT INTO organisations (id, name, timezone) VALUES ('seed', 'seed', 'Europe/Rome')")
        conn.execute("INSERT INTO service_points (id, org_id, name) VALUES ('seed-p', 'seed', 'seed')")
        analyse(conn)
        counts = load_points(conn, "big", BIG, NOW) + load_points(conn, "small", SMALL, NOW)
        conn.execute(
            "INSERT INTO targets (org_id, scope, scope_id, min_green_share, max_red_share, min_ratings, window_days)"
            " VALUES ('small', 'organisation', '', 0.7, 0.15, 20, 14)"
        )
    return database_url, counts


async def _explain(dsn: str, scope: Scope, period: Any, *, analyze: bool) -> dict[str, Any]:
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        found = await statement(conn, scope, period, NOW, 100)
        assert found is not None
        query, params = found
        options = sql.SQL("ANALYZE, FORMAT JSON" if analyze else "FORMAT JSON")
        await conn.execute("SET statement_timeout = '120s'")
        cur = await conn.execute(sql.SQL("EXPLAIN ({}) ").format(options) + query, params, prepare=False)
        row = await cur.fetchone()
        assert row is not None
        found_plan = row[0] if isinstance(row[0], list) else json.loads(row[0])
        plan: dict[str, Any] = found_plan[0]["Plan"]
        return plan


async def _page(dsn: str, scope: Scope, period: Any) -> Overview:
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        return await overview(conn, scope, period, NOW, limit=100)


@pytest.mark.parametrize("name", sorted(SCOPES))
def test_no_plan_rereads_the_counts_on_stale_statistics(loaded: tuple[str, int], name: str) -> None:
    dsn, counts = loaded
    scope, period = SCOPES[name]
    plan = asyncio.run(_explain(dsn, scope, period, analyze=False))
    assert not rereading_joins(plan), f"a nested loop re-reads the counts: {rereading_joins(plan)}"
    handled = rows_handled(asyncio.run(_explain(dsn, scope, period, analyze=True)))
    # A linear plan handles each point and each count row a few times; a quadratic one, points x counts.
    assert handled < 12 * (BIG + SMALL + counts), f"{handled:,} rows handled for {counts:,} count rows"


def test_the_answer_is_the_same_before_and_after_analyze(loaded: tuple[str, int]) -> None:
    dsn, _ = loaded
    stale = {name: asyncio.run(_page(dsn, *SCOPES[name])) for name in SCOPES}
    with psycopg.connect(dsn, autocommit=True) as conn:
        analyse(conn)
    fresh = {name: asyncio.run(_page(dsn, *SCOPES[name])) for name in SCOPES}
    assert stale == fresh
    nation = fresh["the nation"]
    assert nation.total_rows == BIG + SMALL + 1
    assert len(nation.rows) == 100
    assert nation.rows[0].assessment.state == "below_target"
    assert {r.target.window_days for r in fresh["one organisation"].rows} == {14}
