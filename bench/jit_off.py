"""Bench: what PostgreSQL's JIT costs the managers' dashboards, side by side in one run.

A new database on a PostgreSQL of its own (its defaults: `jit = on`), `--points` service points and their
counts loaded (`tests/fixtures/many_points.py`, as bench/overview_stale.py: on statistics that saw the tables
nearly empty, autovacuum off), then the same after ANALYZE. Timed, each on a connection of its own, median of
`--repeat` runs, alternating the two ways:

- the collector's overview (first page, worst first: the nation, and the small organisation's), on a
  connection made the collector's way (`CollectorSettings.database_conninfo()`: `jit = off`) and on the
  same DSN with `-c jit=on`;
- Grafana's list of service points (the overview dashboard's table, its SQL as Grafana sends it), as the
  role `mlf_grafana` made by dashboards/README.md (`ALTER ROLE ... SET jit = off`) and as that role with
  `-c jit=on`.

Each connection says what `SHOW jit` answers, and the two ways' answers are checked to be the same.

    .venv/bin/python bench/jit_off.py                      # 3,000 and 20,000 service points
    .venv/bin/python bench/jit_off.py --points 500         # a quick look
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scratch_pg import scratch_server  # noqa: E402

from collector.config import CollectorSettings  # noqa: E402
from collector.insight import indicators  # noqa: E402
from collector.store.migrate import migrate  # noqa: E402
from dashboards import generate  # noqa: E402
from tests.dashboards.grafana_macros import Request, expand  # noqa: E402
from tests.fixtures.many_points import analyse, load_on_stale_statistics  # noqa: E402

NOW = datetime(2026, 11, 30, 10, 17, tzinfo=UTC)
VIEWS = {"the nation": indicators.Scope(), "one organisation (10%)": indicators.Scope(org="small")}


def grafana_role(dsn: str) -> str:
    """dashboards/README.md's role and grants, made here; the DSN of a session of that role."""
    readme = (ROOT / "dashboards" / "README.md").read_text()
    grants = readme.split("```sql\n", 1)[1].split("```", 1)[0]
    with psycopg.connect(dsn, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = 'mlf_grafana'").fetchone():  # made for a scale before
            grants = grants.split(";", 1)[1]  # roles are cluster-wide: all but its CREATE ROLE
        conn.execute(grants.encode())
    return make_conninfo(dsn, user="mlf_grafana")  # the scratch server trusts loopback


def grafana_list_sql() -> str:
    """The overview dashboard's table of service points over the last 28 days, every variable at All."""
    board = generate.load("overview")
    (panel,) = [p for p in board["panels"] if p["type"] == "table"]
    request = Request(NOW - timedelta(days=28), NOW)
    return expand(str(panel["targets"][0]["rawSql"]), board["templating"]["list"], request)


def with_jit_on(dsn: str) -> str:
    options = conninfo_to_dict(dsn).get("options") or ""
    return make_conninfo(dsn, options=f"{options} -c jit=on".strip())


async def timed(dsn: str, run: Any, repeat: int) -> tuple[str, list[float], Any]:
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        jit = (await (await conn.execute("SHOW jit")).fetchone() or ("?",))[0]
        took, found = [], None
        for _ in range(repeat):
            started = time.perf_counter()
            found = await run(conn)
            took.append(time.perf_counter() - started)
        return str(jit), took, found


def overview(scope: indicators.Scope) -> Any:
    async def run(conn: psycopg.AsyncConnection[Any]) -> Any:
        found = await indicators.overview(conn, scope, None, NOW, limit=100)
        return found.total_rows, [(r.id, r.counts, r.assessment) for r in found.rows]

    return run


def statement(text: str) -> Any:
    async def run(conn: psycopg.AsyncConnection[Any]) -> Any:
        return await (await conn.execute(text.encode(), prepare=False)).fetchall()

    return run


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


def scale(server: Any, points: int, repeat: int) -> None:
    dsn = server.create_database(f"jit_{points}")
    started = time.monotonic()
    with psycopg.connect(dsn, autocommit=True) as conn:
        migrate(conn)
        counts = load_on_stale_statistics(conn, points, NOW)
    collector = CollectorSettings(database_url=dsn).database_conninfo()
    grafana = grafana_role(dsn)
    print(f"\n{points:,} service points, {counts:,} count rows (loaded in {time.monotonic() - started:.0f} s)")
    cases = [(f"collector's overview, {view}", collector, overview(scope)) for view, scope in VIEWS.items()]
    cases.append(("Grafana's list of service points", grafana, statement(grafana_list_sql())))
    for stage in ("stale statistics", "after ANALYZE"):
        if stage == "after ANALYZE":
            with psycopg.connect(dsn, autocommit=True) as conn:
                analyse(conn)
        print(f"  {stage:<44} {'jit off':>18} {'jit on':>18} {'on / off':>9}")
        for what, off_dsn, run in cases:
            compare(what, off_dsn, run, repeat)


def compare(what: str, off_dsn: str, run: Any, repeat: int) -> None:
    """One case both ways, alternating, so that both meet the same machine."""
    took: dict[str, list[float]] = {"off": [], "on": []}
    answers = []
    for _ in range(repeat):
        for way, way_dsn in (("off", off_dsn), ("on", with_jit_on(off_dsn))):
            jit, seconds, found = asyncio.run(timed(way_dsn, run, 1))
            assert jit == way, f"{what}: SHOW jit said {jit} on the {way} connection"
            took[way] += seconds
            answers.append(found)
    if any(found != answers[0] for found in answers):
        raise SystemExit(f"{what}: the answers differ")
    off, on = statistics.median(took["off"]), statistics.median(took["on"])
    print(f"  {what:<44} {ms(off):>18} {ms(on):>18} {on / off:>8.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--points", type=int, nargs="+", default=[3_000, 20_000])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with scratch_server("bench-jit-off", {"autovacuum": "off"}) as server:
        for points in args.points:
            scale(server, points, args.repeat)


if __name__ == "__main__":
    main()
