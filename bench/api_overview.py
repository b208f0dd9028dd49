"""Bench: the overview of N service points over one year, from rollups vs from raw rows, in one run.

Loads a year of simulated history (`firmware_sim.citizens.demo_fleet` + `firmware_sim.backfill.history`;
~50M ratings at the default 5,000 service points) into a PostgreSQL of its own under `var/bench-api/`,
with COPY into `ratings` and the rollups built by the same definitions the ingest path maintains.
The data is kept, so a second run only measures. Then it times:

- the API's overview answer (`collector.insight.indicators` + `collector.insight.flags`), read from the rollups;
- the same answer computed from raw rows (checked equal);
- `GET /v1/overview` through a real HTTP server (uvicorn) with a reader key.

    .venv/bin/python bench/api_overview.py                  # full scale: 5,000 points, ~50M ratings
    .venv/bin/python bench/api_overview.py --service-points 200 --repeat 20   # quick look
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from collector.store.migrate import migrate  # noqa: E402
from devstack.postgres import LocalPostgres  # noqa: E402
from devstack.processes import free_port, wait_for_port  # noqa: E402
from firmware_sim.backfill import history  # noqa: E402
from firmware_sim.citizens import demo_fleet  # noqa: E402

ORG = "bench"
TIMEZONE = "Europe/Rome"
LOAD_WORKERS = 2
YEAR_START, YEAR_END = date(2025, 1, 1), date(2026, 1, 1)
PG_SETTINGS = {
    "shared_buffers": "2GB",
    "work_mem": "64MB",
    "maintenance_work_mem": "1GB",
    "max_wal_size": "16GB",
    "checkpoint_timeout": "30min",
    "synchronous_commit": "off",
}
COPY_COLUMNS = (
    "event_id, org_id, kiosk_id, seq, service_point_id, service_id, channel, face, reason,"
    " pressed_at, reported_at, received_at, clock_synced, boot_id, uptime_ms"
)
COUNTS = """count(*) FILTER (WHERE face = 'positive' AND NOT misuse), count(*) FILTER (WHERE face = 'neutral'
 AND NOT misuse), count(*) FILTER (WHERE face = 'negative' AND NOT misuse), count(*) FILTER (WHERE misuse)"""
ROLLUP_TABLES = (
    "rollup_hourly",
    "rollup_daily",
    "rollup_monthly",
    "rollup_monthly_points",
    "rollup_yearly_points",
    "reason_daily",
)
# The rollup definitions of the storage contract (UTC hours; local days and months; reasons without misuse).
ROLLUPS = [
    """INSERT INTO rollup_hourly (bucket, service_point_id, service_id, channel, positive, neutral, negative, misuse)
    SELECT date_trunc('hour', pressed_at, 'UTC'), service_point_id, coalesce(service_id, ''), channel, COUNTS
    FROM ratings GROUP BY 1, 2, 3, 4""",
    """INSERT INTO rollup_daily (day, service_point_id, service_id, channel, positive, neutral, negative, misuse)
    SELECT (pressed_at AT TIME ZONE 'TZ')::date, service_point_id, coalesce(service_id, ''), channel, COUNTS
    FROM ratings GROUP BY 1, 2, 3, 4""",
    """INSERT INTO rollup_monthly (month, service_point_id, service_id, channel, positive, neutral, negative, misuse)
    SELECT date_trunc('month', pressed_at AT TIME ZONE 'TZ')::date, service_point_id,
           coalesce(service_id, ''), channel, COUNTS
    FROM ratings GROUP BY 1, 2, 3, 4""",
    """INSERT INTO rollup_monthly_points (month, service_point_id, positive, neutral, negative, misuse)
    SELECT month, service_point_id, sum(positive), sum(neutral), sum(negative), sum(misuse)
    FROM rollup_monthly GROUP BY 1, 2""",
    """INSERT INTO rollup_yearly_points (year, service_point_id, positive, neutral, negative, misuse)
    SELECT date_trunc('year', month)::date, service_point_id, sum(positive), sum(neutral), sum(negative), sum(misuse)
    FROM rollup_monthly_points GROUP BY 1, 2""",
    """INSERT INTO reason_daily (day, service_point_id, service_id, channel, reason, n)
    SELECT (pressed_at AT TIME ZONE 'TZ')::date, service_point_id, coalesce(service_id, ''), channel,
           reason, count(*)
    FROM ratings WHERE face = 'negative' AND reason IS NOT NULL AND NOT misuse GROUP BY 1, 2, 3, 4, 5""",
]


def _rows(points: int, part: int, parts: int) -> Iterator[tuple[object, ...]]:
    fleet = demo_fleet(points, org=ORG)[part::parts]
    for r in history(fleet, YEAR_START, YEAR_END, timezone=TIMEZONE, seed=part + 1):
        yield (
            r.event_id,
            ORG,
            r.kiosk_id,
            r.seq,
            r.service_point,
            r.service,
            r.channel.value,
            r.face.value,
            r.reason,
            r.pressed_at,
            r.pressed_at,
            r.pressed_at,
            True,
            r.clock.boot_id,
            r.clock.uptime_ms,
        )


def _copy_part(dsn: str, points: int, part: int, parts: int) -> int:
    """One loader process: generate a share of the fleet's history and COPY it."""
    started, n = time.monotonic(), 0
    with (
        psycopg.connect(dsn, autocommit=True) as conn,
        conn.cursor() as cur,
        cur.copy(f"COPY ratings ({COPY_COLUMNS}) FROM STDIN".encode()) as copy,
    ):
        for row in _rows(points, part, parts):
            copy.write_row(row)
            n += 1
            if n % 2_000_000 == 0:
                print(f"  [{part}] {n:>11,} ratings, {n / (time.monotonic() - started):,.0f}/s", flush=True)
    return n


def load(dsn: str, points: int) -> None:
    """Registry, raw ratings by COPY, then the rollups; skipped when this scale is already loaded."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        migrate(conn)
        conn.execute("CREATE TABLE IF NOT EXISTS bench_meta (points int PRIMARY KEY, ratings bigint NOT NULL)")
        conn.execute("CREATE TABLE IF NOT EXISTS bench_copied (points int PRIMARY KEY, ratings bigint NOT NULL)")
        if conn.execute("SELECT 1 FROM bench_meta WHERE points = %s", (points,)).fetchone():
            return
        copied = conn.execute("SELECT ratings FROM bench_copied WHERE points = %s", (points,)).fetchone()
        if copied is None:
            _copy(conn, dsn, points)
        _build_rollups(conn, points)


def bench_postgres(var: Path, points: int) -> LocalPostgres:
    """The bench's own PostgreSQL for this scale, under `var` (kept from run to run), started."""
    var.mkdir(parents=True, exist_ok=True)
    var.chmod(0o755)
    server = LocalPostgres(var / f"pg-{points}", free_port(), settings=PG_SETTINGS)
    server.init()
    server.stop_if_running()
    server.start()
    return server


def registry(conn: psycopg.Connection[tuple[object, ...]], points: int) -> None:
    """The organisation, its sites, service points, services and kiosks of `demo_fleet(points)`."""
    fleet = demo_fleet(points, org=ORG)
    regions = ("Nord-Ovest", "Nord-Est", "Centro", "Sud", "Isole")
    conn.execute(
        "INSERT INTO organisations (id, name, timezone) VALUES (%s, 'Comune di Bench', %s) ON CONFLICT DO NOTHING",
        (ORG, TIMEZONE),
    )
    with conn.cursor() as cur:
        sites = [(f"{ORG}-sede-{i}", ORG, f"Sede {i}", regions[i % 5]) for i in range(points // 10 + 1)]
        cur.executemany("INSERT INTO sites VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING", sites)
        cur.executemany(
            "INSERT INTO service_points (id, org_id, site_id, name) VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
            [(p.id, ORG, f"{ORG}-sede-{i // 10}", f"Sportello {i}") for i, p in enumerate(fleet)],
        )
        services = sorted({s for p in fleet for s in p.services})
        cur.executemany(
            "INSERT INTO services (org_id, id, name) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
            [(ORG, s, s) for s in services],
        )
        cur.executemany(
            "INSERT INTO kiosks (id, org_id, service_point_id) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
            [(p.kiosk_id, ORG, p.id) for p in fleet],
        )


def _copy(conn: psycopg.Connection[tuple[object, ...]], dsn: str, points: int) -> None:
    """Registry and raw ratings (the long part; a later run resumes after it)."""
    print(f"loading {points} service points, {YEAR_START}..{YEAR_END} (one-off; kept for later runs)", flush=True)
    for table in ("ratings", *ROLLUP_TABLES, "bench_meta", "bench_copied"):
        conn.execute(f"TRUNCATE {table}".encode())
    registry(conn, points)
    started = time.monotonic()
    with multiprocessing.get_context("fork").Pool(LOAD_WORKERS) as pool:
        n = sum(pool.starmap(_copy_part, [(dsn, points, part, LOAD_WORKERS) for part in range(LOAD_WORKERS)]))
    conn.execute("INSERT INTO bench_copied VALUES (%s, %s)", (points, n))
    print(f"  {n:,} ratings copied in {time.monotonic() - started:.0f} s", flush=True)


def _build_rollups(conn: psycopg.Connection[tuple[object, ...]], points: int) -> None:
    """The rollups from the raw rows, by the storage contract's definitions."""
    started = time.monotonic()
    print("  building rollups", flush=True)
    for table in ROLLUP_TABLES:
        conn.execute(f"TRUNCATE {table}".encode())
    (n,) = conn.execute("SELECT ratings FROM bench_copied WHERE points = %s", (points,)).fetchone() or (0,)
    conn.execute("SET work_mem = '1GB'")
    for statement in ROLLUPS:
        conn.execute(statement.replace("COUNTS", COUNTS).replace("'TZ'", f"'{TIMEZONE}'").encode())
    conn.execute("VACUUM ANALYZE")
    conn.execute("INSERT INTO bench_meta VALUES (%s, %s)", (points, n))
    print(f"  loaded in {time.monotonic() - started:.0f} s", flush=True)


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _figures(name: str, samples: list[float]) -> str:
    ms = [s * 1000 for s in samples]
    return (
        f"{name:<44} n={len(ms):<4} p50 {percentile(ms, 50):9.1f} ms   p95 {percentile(ms, 95):9.1f} ms"
        f"   max {max(ms):9.1f} ms"
    )


async def _timed(repeat: int, run: Callable[[], Awaitable[object]]) -> tuple[list[float], object]:
    samples, answer = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        answer = await run()
        samples.append(time.perf_counter() - started)
    return samples, answer


def _run_server(dsn: str, port: int) -> None:
    from collector.api.app import create_app
    from collector.config import CollectorSettings
    from collector.main import run_http

    settings = CollectorSettings(database_url=dsn, http_port=port, rate_limit="1000000/minute", log_level="WARNING")
    run_http(create_app(settings), settings)


def _serve(dsn: str) -> tuple[str, str, multiprocessing.process.BaseProcess]:
    """The real app (uvicorn, no ingest) in a process of its own, as deployed; its URL and a reader key."""
    from collector.api.security import new_key

    key = new_key()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO api_keys (id, name, role, secret_sha256) VALUES (%s, 'bench', 'reader', %s)",
            (key.key_id, key.secret_sha256),
        )
    port = free_port()
    process = multiprocessing.get_context("spawn").Process(target=_run_server, args=(dsn, port), daemon=True)
    process.start()
    wait_for_port(port, 60, "the API server")
    return f"http://127.0.0.1:{port}", key.token, process


async def measure(dsn: str, args: argparse.Namespace) -> None:
    import httpx

    from collector.insight.indicators import Overview, Scope, overview

    now = datetime.now(UTC)
    period = (YEAR_START, YEAR_END)
    scope = Scope(org=ORG)
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        await overview(conn, scope, period, now, limit=100)  # warm the cache once, as a running service would be
        fast, _ = await _timed(args.repeat, lambda: overview(conn, scope, period, now, limit=100))
        fast_all, fast_answer = await _timed(max(5, args.repeat // 4), lambda: overview(conn, scope, period, now))
        slow, _ = await _timed(
            args.raw_repeat, lambda: overview(conn, scope, period, now, limit=100, from_raw_rows=True)
        )
        slow_answer = await overview(conn, scope, period, now, from_raw_rows=True)
        cur = await conn.execute("SELECT ratings FROM bench_meta WHERE points = %s", (args.service_points,))
        ratings = (await cur.fetchone() or [0])[0]
    assert isinstance(fast_answer, Overview)
    same = [(r.id, r.counts, r.assessment) for r in fast_answer.rows] == [
        (r.id, r.counts, r.assessment) for r in slow_answer.rows
    ]
    below = sum(r.assessment.state == "below_target" for r in fast_answer.rows)
    url, token, server = _serve(dsn)
    query = {"org": ORG, "from": str(YEAR_START), "to": str(YEAR_END)}
    try:
        async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:

            async def page(limit: int) -> object:
                response = await client.get("/v1/overview", params={**query, "limit": limit})
                response.raise_for_status()
                return response

            await page(100)
            http_page, _ = await _timed(args.repeat, lambda: page(100))
            http_all, _ = await _timed(max(5, args.repeat // 10), lambda: page(10_000))
    finally:
        server.terminate()
        server.join(10)
    ratio = statistics.median(slow) / statistics.median(fast)
    print()
    n = fast_answer.total_rows
    print(f"overview of {n} service points over {YEAR_START}..{YEAR_END}, {ratings:,} ratings")
    print(f"  below target: {below}; the whole answer from raw rows is the same: {same}")
    print("  " + _figures("from rollups, worst 100 (query + flags)", fast))
    print("  " + _figures(f"from rollups, all {n} rows", fast_all))
    print("  " + _figures("from raw rows, worst 100 (query + flags)", slow))
    print("  " + _figures("GET /v1/overview, worst 100", http_page))
    print("  " + _figures(f"GET /v1/overview, all {n} rows", http_all))
    print(f"  rollups vs raw rows, medians: {ratio:,.0f}x faster")
    if not same:
        raise SystemExit("the rollup answer differs from the raw-row answer")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--service-points", type=int, default=5000, help="scale (default 5000: ~50M ratings)")
    parser.add_argument("--repeat", type=int, default=200, help="timed overview requests (default 200)")
    parser.add_argument("--raw-repeat", type=int, default=3, help="timed raw-row answers (default 3)")
    parser.add_argument("--var", type=Path, default=ROOT / "var" / "bench-api", help="data folder (kept)")
    parser.add_argument("--load-only", action="store_true", help="load the data and stop")
    args = parser.parse_args(argv)
    server = bench_postgres(args.var, args.service_points)
    try:
        dsn = server.ensure_database("bench")
        load(dsn, args.service_points)
        if args.load_only:
            return 0
        asyncio.run(measure(dsn, args))
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
