"""Bench: the board's overview page for N service points, on the server and in Chromium, over one year and five.

Uses the data of `bench/api_overview.py` (a year, 2025, of simulated history for `demo_fleet(N)`, kept under
`var/bench-api/`; it loads it when missing: read bench/README.md first, the full scale takes half an hour).
The five-year case adds the rollups of 2021-2024 as copies of 2025's, shifted by whole years, without raw
rows (the overview over whole years reads only the rollups; `bench_years` records that it was done). With
`--rollups-only` the year itself is loaded as rollups without raw rows (`bench/rollups_only.py`), in a database
of its own; the bench counts PostgreSQL's scans of `ratings` while it serves the pages (expected: none). Then:

- server: `GET /board?org=bench&period=custom&from=...&until=...` (the first page, 100 rows worst first, as
  HTML) through the collector's HTTP server in a process of its own, signed in with a reader key's session;
  one year (2025) and five years (2021-2025) side by side, and the five years again with the yearly tier
  switched off (whole years read as months: what the page cost before the tier); CPU per page of the
  collector's process and of PostgreSQL, from /proc;
- Chromium (Debian's, driven by Playwright): navigation to first contentful paint and to `load`, fresh
  context each time (nothing cached), and the page's weight (every byte the page loads).

    .venv/bin/python bench/board_overview.py --rollups-only           # 5,000 service points, no raw rows
    .venv/bin/python bench/board_overview.py                          # 5,000 service points with raw rows
    .venv/bin/python bench/board_overview.py --service-points 500 --repeat 50 --var /tmp/api-bench-var
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import rollups_only  # noqa: E402
from api_overview import _figures, bench_postgres, load, percentile  # noqa: E402

from devstack.processes import free_port, wait_for_port  # noqa: E402

ONE_YEAR = {"from": "2025-01-01", "until": "2025-12-31"}
FIVE_YEARS = {"from": "2021-01-01", "until": "2025-12-31"}
SHIFTED = ("rollup_monthly", "rollup_monthly_points", "rollup_yearly_points")


def add_years(dsn: str) -> None:
    """2021-2024 as copies of 2025's rollups (monthly, per point monthly and yearly), without raw rows."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS bench_years (done boolean PRIMARY KEY)")
        if conn.execute("SELECT 1 FROM rollup_yearly_points LIMIT 1").fetchone() is None:
            conn.execute(  # data loaded before the yearly tier existed
                "INSERT INTO rollup_yearly_points (year, service_point_id, positive, neutral, negative, misuse)"
                " SELECT date_trunc('year', month)::date, service_point_id, sum(positive), sum(neutral),"
                " sum(negative), sum(misuse) FROM rollup_monthly_points GROUP BY 1, 2"
            )
        if conn.execute("SELECT 1 FROM bench_years").fetchone():
            return
        started = time.monotonic()
        print("adding the rollups of 2021-2024 (copies of 2025's, no raw rows)", flush=True)
        for shift in range(1, 5):
            conn.execute(
                "INSERT INTO rollup_monthly (month, service_point_id, service_id, channel, positive, neutral,"
                " negative, misuse) SELECT (month - make_interval(years => %(s)s))::date, service_point_id,"
                " service_id, channel, positive, neutral, negative, misuse FROM rollup_monthly"
                " WHERE month >= '2025-01-01'",
                {"s": shift},
            )
            for table, key in (("rollup_monthly_points", "month"), ("rollup_yearly_points", "year")):
                conn.execute(
                    f"INSERT INTO {table} ({key}, service_point_id, positive, neutral, negative, misuse)"  # noqa: S608
                    f" SELECT ({key} - make_interval(years => %(s)s))::date, service_point_id, positive, neutral,"
                    f" negative, misuse FROM {table} WHERE {key} >= '2025-01-01'",
                    {"s": shift},
                )
        conn.execute("VACUUM ANALYZE rollup_monthly, rollup_monthly_points, rollup_yearly_points")
        conn.execute("INSERT INTO bench_years VALUES (true)")
        print(f"  added in {time.monotonic() - started:.0f} s", flush=True)


def _run_server(dsn: str, port: int, without_years: bool) -> None:
    if without_years:  # what the page cost before the yearly tier: whole years read as months
        from collector.insight import indicators, periods

        def months_only(*args: object, **kwargs: object) -> periods.Pieces:
            pieces = periods.split(*args, **kwargs)  # type: ignore[arg-type]
            pieces.months = sorted(pieces.months + pieces.years)
            pieces.years = []
            return pieces

        indicators.split = months_only  # type: ignore[attr-defined]
    from collector.api.app import create_app
    from collector.config import CollectorSettings
    from collector.main import run_http

    settings = CollectorSettings(
        database_url=dsn, http_port=port, rate_limit="1000000/minute", log_level="WARNING", board_refresh_s=0
    )
    run_http(create_app(settings), settings)


def serve(dsn: str, without_years: bool = False) -> tuple[str, multiprocessing.process.BaseProcess]:
    port = free_port()
    process = multiprocessing.get_context("spawn").Process(
        target=_run_server, args=(dsn, port, without_years), daemon=True
    )
    process.start()
    wait_for_port(port, 60, "the collector")
    return f"http://127.0.0.1:{port}", process


def reader_key(dsn: str) -> str:
    from collector.api.security import new_key

    key = new_key()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO api_keys (id, name, role, secret_sha256) VALUES (%s, 'bench board', 'reader', %s)",
            (key.key_id, key.secret_sha256),
        )
    return key.token


def _stat(pid: int | str) -> list[str]:
    """/proc/<pid>/stat from its state on (field 3): [1] parent, [11] [12] own CPU, [13] [14] reaped children's."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def cpu_seconds(pid: int) -> float:
    """User and system CPU a process has used (from /proc): unlike wall time, hardly moved by other work."""
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu_seconds(datadir: Path) -> float:
    """CPU of the bench's PostgreSQL: the postmaster, its live processes and those it has reaped."""
    postmaster = int((datadir / "postmaster.pid").read_text().split()[0])
    fields = _stat(postmaster)
    ticks = sum(int(fields[i]) for i in (11, 12, 13, 14))
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                child = _stat(entry.name)
            except OSError:  # gone meanwhile
                continue
            if int(child[1]) == postmaster:
                ticks += int(child[11]) + int(child[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def raw_reads(dsn: str) -> int:
    """Scans of `ratings` so far (sequential and index; PostgreSQL's statistics, flushed within a second)."""
    time.sleep(1.5)
    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            "SELECT coalesce(seq_scan, 0) + coalesce(idx_scan, 0) FROM pg_stat_user_tables WHERE relname = 'ratings'"
        ).fetchone()
    return int(row[0]) if row else 0


def server_times(
    url: str, token: str, periods: list[dict[str, str]], repeat: int, pid: int, datadir: Path
) -> tuple[list[list[float]], int, tuple[float, float]]:
    """Times of the pages of `periods`, requested in turn (so a change of the machine's load hits them alike),
    the HTML's size, and the CPU per request of the collector's process and of PostgreSQL."""
    with httpx.Client(base_url=url, timeout=60) as client:
        signed = client.post("/board/sign-in", data={"key": token})
        assert signed.status_code == 303, signed.text[:300]  # on to the overview, signed in
        queries = [{"org": "bench", "period": "custom", **period} for period in periods]
        size = 0
        for params in queries:  # warm, as a running service is
            page = client.get("/board", params=params)
            page.raise_for_status()
            size = len(page.content)
        samples: list[list[float]] = [[] for _ in queries]
        cpu, pg_cpu = cpu_seconds(pid), postgres_cpu_seconds(datadir)
        for _ in range(repeat):
            for params, times in zip(queries, samples, strict=True):
                started = time.perf_counter()
                client.get("/board", params=params).raise_for_status()
                times.append(time.perf_counter() - started)
        n = repeat * len(queries)
        return samples, size, ((cpu_seconds(pid) - cpu) / n, (postgres_cpu_seconds(datadir) - pg_cpu) / n)


def _collector(into: list[Any]) -> Callable[[Any], None]:
    def collect(response: Any) -> None:
        into.append(response)

    return collect


def browser_times(
    url: str, token: str, period: dict[str, str], repeat: int, points: int
) -> tuple[list[float], list[float], int]:
    from playwright.sync_api import Response

    from tests.board.browser import DESKTOP, launch

    target = f"{url}/board?org=bench&period=custom&from={period['from']}&until={period['until']}"
    paints, loads, weight = [], [], 0
    for browser in launch():
        for i in range(repeat):
            context = browser.new_context(viewport=DESKTOP, locale="it-IT")
            page = context.new_page()
            page.goto(f"{url}/board/sign-in")
            page.fill("#key", token)
            page.click("button[type=submit]")
            page.wait_for_url(f"{url}/board")
            fresh = context.new_page()  # a new page: a navigation of its own, cold except for the session
            responses: list[Response] = []
            fresh.on("response", _collector(responses))
            fresh.goto(target, wait_until="load")
            fresh.wait_for_load_state("networkidle")
            timing = fresh.evaluate(
                "() => { const n = performance.getEntriesByType('navigation')[0];"
                " const p = performance.getEntriesByName('first-contentful-paint')[0];"
                " return [p ? p.startTime : null, n.loadEventEnd]; }"
            )
            assert fresh.locator("table.points tbody tr").count() == min(100, points)
            if timing[0] is not None:
                paints.append(timing[0] / 1000)
            loads.append(timing[1] / 1000)
            if i == 0:  # bytes on the wire: bodies as sent (gzipped where they are) and headers
                sizes = [r.request.sizes() for r in responses]
                weight = sum(z["responseBodySize"] + z["responseHeadersSize"] for z in sizes)
            context.close()
    return paints, loads, weight


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--service-points", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=200, help="timed page requests per case (default 200)")
    parser.add_argument("--browser-repeat", type=int, default=30, help="timed navigations in Chromium (default 30)")
    parser.add_argument("--var", type=Path, default=ROOT / "var" / "bench-api", help="data folder (kept)")
    parser.add_argument(
        "--rollups-only", action="store_true", help="the year as rollups without raw rows (bench/rollups_only.py)"
    )
    args = parser.parse_args(argv)
    pg = bench_postgres(args.var, args.service_points)
    try:
        if args.rollups_only:
            dsn = pg.ensure_database("bench_rollups")
            rollups_only.load(dsn, args.service_points)
        else:
            dsn = pg.ensure_database("bench")
            load(dsn, args.service_points)
        add_years(dsn)
        token = reader_key(dsn)
        scans = raw_reads(dsn)
        print(f"load average before: {os.getloadavg()[0]:.2f} (2 cores, shared)")
        url, server = serve(dsn)
        try:
            assert server.pid is not None
            (one, five), size, cpu = server_times(
                url, token, [ONE_YEAR, FIVE_YEARS], args.repeat, server.pid, pg.datadir
            )
            paints, loads, weight = browser_times(url, token, ONE_YEAR, args.browser_repeat, args.service_points)
            scans = raw_reads(dsn) - scans
        finally:
            server.terminate()
            server.join(10)
        url, server = serve(dsn, without_years=True)
        try:
            assert server.pid is not None
            (five_months,), _, _ = server_times(
                url, token, [FIVE_YEARS], max(10, args.repeat // 4), server.pid, pg.datadir
            )
        finally:
            server.terminate()
            server.join(10)
        print(f"load average after: {os.getloadavg()[0]:.2f}")
    finally:
        pg.stop()
    print()
    print(f"board overview of {args.service_points} service points, first page (100 rows worst first), HTML")
    print("  " + _figures("server, one year (2025)", one))
    print("  " + _figures("server, five years (2021-2025)", five))
    print("  " + _figures("server, five years, no yearly tier", five_months))
    ratio = statistics.median(five) / statistics.median(one)
    ratio95 = percentile(five, 95) / percentile(one, 95)
    print(f"  five years vs one: {ratio:.2f}x at the median, {ratio95:.2f}x at p95")
    print(f"  CPU per page (both cases): collector {cpu[0] * 1000:.1f} ms + PostgreSQL {cpu[1] * 1000:.1f} ms")
    print(f"  scans of the raw ratings while the pages were served: {scans}")
    print("  " + _figures("Chromium, navigation to first paint", paints))
    print("  " + _figures("Chromium, navigation to load", loads))
    print(f"  page weight: {weight / 1024:.0f} KB on the wire in all (the HTML is {size / 1024:.0f} KB unzipped)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
