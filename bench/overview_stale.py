"""Bench: the overview right after a large load and after ANALYZE, the statement before the fix and now, in one run.

For each scale (default 2,000 and 20,000 service points): a new database on a PostgreSQL of its own under
var/ (autovacuum off), its tables analysed nearly empty (what autovacuum saw before the load), then the
service points and their counts loaded (`tests/fixtures/many_points.py`: 28 days of daily rollups for two
services, today's hours, a raw rating in the current hour; 90% in one organisation, 10% in another with a
14-day target). It times the first page (100 rows, worst first) of the nation's overview and of the small
organisation's, with

- before: the statement as it was at commit `--before` (read with `git show`: the last one that joined service
  points to their counts), and
- now: `collector.insight.indicators`,

on those stale statistics, then after ANALYZE (median of `--repeat` runs; a run over `--timeout` seconds is
cancelled and shown as such), and checks that every answer is the same.

    .venv/bin/python bench/overview_stale.py                              # 2,000 and 20,000 service points
    .venv/bin/python bench/overview_stale.py --points 500 --timeout 10    # a quick look
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
import types
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scratch_pg import scratch_server  # noqa: E402

from collector.insight import indicators  # noqa: E402
from collector.store.migrate import migrate  # noqa: E402
from tests.fixtures.many_points import analyse, load_on_stale_statistics  # noqa: E402

BEFORE = "7150c29"
"""The last commit whose overview joined service points to their counts."""
NOW = datetime(2026, 11, 30, 10, 17, tzinfo=UTC)
VIEWS = {"the nation": indicators.Scope(), "one organisation (10%)": indicators.Scope(org="small")}


def module_at(commit: str) -> types.ModuleType:
    """`collector/insight/indicators.py` as it was at `commit`, loaded as a module of its own."""
    source = subprocess.run(
        ["git", "show", f"{commit}:collector/insight/indicators.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    module = types.ModuleType(f"indicators_at_{commit}")
    sys.modules[module.__name__] = module  # dataclasses look their module up
    exec(compile(source, f"{commit}:collector/insight/indicators.py", "exec"), module.__dict__)  # noqa: S102
    return module


def answer(found: Any) -> tuple[Any, ...]:
    """An overview's page as plain values (the two modules' classes differ)."""
    return found.total_rows, [
        (r.id, r.org, r.name, r.site, r.region, r.start, r.end, r.counts, r.assessment, r.target) for r in found.rows
    ]


async def timed(
    dsn: str, run: Callable[[psycopg.AsyncConnection[Any]], Awaitable[Any]], repeat: int, limit_s: float
) -> tuple[float | None, Any]:
    """(median seconds or None when cancelled, the answer) of `repeat` runs on one connection."""
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        await conn.execute(f"SET statement_timeout = {int(limit_s * 1000)}".encode())
        took: list[float] = []
        found = None
        for _ in range(repeat):
            started = time.perf_counter()
            try:
                found = answer(await run(conn))
            except psycopg.errors.QueryCanceled:
                return None, None
            took.append(time.perf_counter() - started)
        return statistics.median(took), found


def shown(seconds: float | None, timeout: float) -> str:
    if seconds is None:
        return f"> {timeout:.0f} s (cancelled)"
    return f"{seconds * 1000:,.0f} ms" if seconds < 10 else f"{seconds:,.1f} s"


def scale(server: Any, points: int, before: types.ModuleType, repeat: int, timeout: float) -> None:
    dsn = server.create_database(f"points_{points}")
    started = time.monotonic()
    with psycopg.connect(dsn, autocommit=True) as conn:
        migrate(conn)
        counts = load_on_stale_statistics(conn, points, NOW)
        conn.execute(
            "INSERT INTO targets (org_id, scope, scope_id, min_green_share, max_red_share, min_ratings, window_days)"
            " VALUES ('small', 'organisation', '', 0.7, 0.15, 20, 14)"
        )
    print(f"\n{points:,} service points, {counts:,} count rows (loaded in {time.monotonic() - started:.0f} s)")
    print(f"  {'view':<24} {'statement':<10} {'stale statistics':>22} {'after ANALYZE':>16}")
    results: dict[tuple[str, str], list[tuple[float | None, Any]]] = {}
    for stage in ("stale", "analysed"):
        if stage == "analysed":
            with psycopg.connect(dsn, autocommit=True) as conn:
                analyse(conn)
        for view, scope in VIEWS.items():
            for name, module in (("before", before), ("now", indicators)):

                def run(conn: psycopg.AsyncConnection[Any], m: Any = module, s: Any = scope) -> Any:
                    return m.overview(conn, s, None, NOW, limit=100)

                tries = 1 if name == "before" and stage == "stale" else repeat
                results.setdefault((view, name), []).append(asyncio.run(timed(dsn, run, tries, timeout)))
    for (view, name), ((stale, _), (fresh, _)) in results.items():
        print(f"  {view:<24} {name:<10} {shown(stale, timeout):>22} {shown(fresh, timeout):>16}")
    for view in VIEWS:
        answers = [found for name in ("before", "now") for _, found in results[(view, name)] if found is not None]
        same = all(found == answers[0] for found in answers)
        print(f"  {view}: {len(answers)} answers, {'all the same' if same else 'THEY DIFFER'}")
        if not same:
            raise SystemExit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--points", type=int, nargs="+", default=[2_000, 20_000])
    parser.add_argument("--before", default=BEFORE, help="the commit of the statement before (default %(default)s)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds before a run is cancelled")
    args = parser.parse_args()
    before = module_at(args.before)
    with scratch_server("bench-overview-stale", {"autovacuum": "off"}) as server:
        for points in args.points:
            scale(server, points, before, args.repeat, args.timeout)


if __name__ == "__main__":
    main()
