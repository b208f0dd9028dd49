"""`mlf_target` and `mlf_flag_rank` (migration 0080): the collector's precedence and order, and Python's
statement of the built-in default agrees (the API's reads use the function: tests/api/test_target_precedence.py)."""

from __future__ import annotations

import asyncio

import psycopg
import pytest

from collector.insight import flags
from collector.store import targets

Db = psycopg.Connection[tuple[object, ...]]


def _target_in_sql(db: Db, org: str, service_point: str, service: str | None) -> targets.Target:
    row = db.execute("SELECT * FROM mlf_target(%s, %s, %s)", (org, service_point, service)).fetchone()
    assert row is not None
    return targets.Target(*row)  # type: ignore[arg-type]


def _target_in_python(database_url: str, org: str, service_point: str, service: str | None) -> targets.Target:
    async def read() -> targets.Target:
        async with await psycopg.AsyncConnection.connect(database_url) as conn:
            return await targets.applying(conn, org, service_point, service)

    return asyncio.run(read())


def _set(db: Db, scope: str, scope_id: str, green: float) -> None:
    db.execute(
        "INSERT INTO targets (org_id, scope, scope_id, min_green_share, max_red_share, min_ratings, window_days)"
        " VALUES ('org', %s, %s, %s, 0.2, 12, 7)",
        (scope, scope_id, green),
    )


def test_built_in_default_is_the_collectors(db: Db) -> None:
    db.execute("INSERT INTO organisations (id, name) VALUES ('org', 'Org')")
    assert _target_in_sql(db, "org", "sp-1", None) == targets.DEFAULT_TARGET
    assert _target_in_sql(db, "nobody", "nothing", "none") == targets.DEFAULT_TARGET


@pytest.mark.parametrize("service", [None, "tributi", "anagrafe"])
def test_precedence_matches_the_overviews(db: Db, database_url: str, service: str | None) -> None:
    db.execute("INSERT INTO organisations (id, name) VALUES ('org', 'Org')")
    db.execute("INSERT INTO service_points (id, org_id, name) VALUES ('sp-1', 'org', 'a'), ('sp-2', 'org', 'b')")
    steps = [
        ("organisation", "", 0.5),
        ("service", "tributi", 0.6),
        ("service_point", "sp-1", 0.7),
    ]
    seen = set()
    for scope, scope_id, green in [(None, None, None), *steps]:
        if scope is not None:
            _set(db, scope, scope_id or "", green or 0.0)
        for point in ("sp-1", "sp-2"):
            got = _target_in_sql(db, "org", point, service)
            assert got == _target_in_python(database_url, "org", point, service)
            seen.add(got.source)
    assert seen >= {"default", "organisation", "service_point"}
    assert ("service" in seen) == (service == "tributi")


def test_inlined_into_the_calling_query(db: Db) -> None:
    """No function call per row: the planner turns it into joins on targets' primary key."""
    plan = "\n".join(
        str(r[0])
        for r in db.execute(
            "EXPLAIN SELECT sp.id, t.* FROM service_points sp CROSS JOIN LATERAL mlf_target(sp.org_id, sp.id, 'x') t"
        ).fetchall()
    )
    assert "Function Scan" not in plan
    assert "targets" in plan


def test_flag_rank_orders_worst_first(db: Db) -> None:
    states = [s.value for s in flags.FlagState]
    rows = db.execute("SELECT s, mlf_flag_rank(s) FROM unnest(%s::text[]) AS s", (states,)).fetchall()
    ranks = {str(state): rank for state, rank in rows}
    assert ranks == {"below_target": 0, "on_target": 1, "not_enough_data": 2}
