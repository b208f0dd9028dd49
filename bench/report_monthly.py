"""Bench: the monthly report of an organisation with N service points, as data, XLSX, PDF and HTML.

Builds, in a PostgreSQL of its own (under var/, removed at the end), what a month of a large organisation
leaves in the rollups the report reads: 5,000 service points in 50 sites, counts per service and channel for
the month, the month before and the same month a year earlier, reasons after red per day, citizens served per
day and the daily rollup they are matched with. Then times each step of `mlf-collector report`, as the API runs them:
the data function (`collector.reports.data.monthly_report`), then each rendering.

    .venv/bin/python bench/report_monthly.py                     # 5,000 service points
    .venv/bin/python bench/report_monthly.py --service-points 500 --out /tmp/bench-report   # keep the files
    .venv/bin/python bench/report_monthly.py --print-every-point    # the PDF with all 5,000 rows
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scratch_pg import scratch_database  # noqa: E402

from collector.reports import html, xlsx  # noqa: E402
from collector.reports.data import monthly_report  # noqa: E402
from collector.store.migrate import migrate  # noqa: E402
from collector.store.scope import EVERYWHERE  # noqa: E402

ORG = "bench"
MONTH = date(2026, 10, 1)
LOAD = [
    "SELECT setseed(0.15)",
    "INSERT INTO organisations (id, name) VALUES ('bench', 'Ente di prova')",
    "INSERT INTO sites (id, org_id, name, region) SELECT 'bench-sede-' || i, 'bench', 'Sede ' || i,"
    " (ARRAY['Nord-Ovest','Nord-Est','Centro','Sud','Isole'])[1 + i %% 5] FROM generate_series(1, %(sites)s) i",
    "INSERT INTO services (org_id, id, name) SELECT 'bench', s, initcap(s) FROM unnest(ARRAY['anagrafe',"
    " 'carta-identita', 'stato-civile', 'tributi', 'urp', 'protocollo']) s",
    "INSERT INTO service_points (id, org_id, site_id, name, channel) SELECT 'bench-sp-' || i, 'bench',"
    " 'bench-sede-' || (1 + i %% %(sites)s), 'Sportello ' || i,"
    " (CASE WHEN i %% 20 = 0 THEN 'phone' WHEN i %% 20 = 1 THEN 'web' ELSE 'counter' END)::channel"
    " FROM generate_series(1, %(points)s) i",
    # Counts per service point, service and month: ~100-400 ratings a month, some points worse.
    "INSERT INTO rollup_monthly (month, service_point_id, service_id, channel, positive, neutral, negative, misuse)"
    " SELECT m, sp.id, s, sp.channel, (n * g)::int, (n * (1 - g) * 0.6)::int, (n * (1 - g) * 0.4)::int,"
    " (random() * 3)::int FROM service_points sp CROSS JOIN unnest(ARRAY['2026-10-01', '2026-09-01',"
    " '2025-10-01']::date[]) m CROSS JOIN LATERAL (SELECT s FROM unnest(ARRAY['anagrafe', 'carta-identita',"
    " 'tributi', '']) s WHERE random() < 0.8 + 0 * length(sp.id)) svc CROSS JOIN LATERAL (SELECT 30 + random() * 100"
    " + 0 * length(svc.s || sp.id) AS n,"
    " CASE WHEN random() < 0.1 THEN 0.5 ELSE 0.75 + random() * 0.2 END AS g) x",
    "INSERT INTO rollup_monthly_points SELECT month, service_point_id, sum(positive), sum(neutral), sum(negative),"
    " sum(misuse), 0 FROM rollup_monthly GROUP BY 1, 2",
    "INSERT INTO reason_daily (day, service_point_id, service_id, channel, reason, n) SELECT d, sp.id, '',"
    " sp.channel, (ARRAY['waiting-time', 'staff-courtesy', 'information-clarity', 'must-come-back'])"
    "[1 + (random() * 3)::int],"
    " 1 + (random() * 4)::int FROM service_points sp CROSS JOIN generate_series('2026-10-01'::date,"
    " '2026-10-31'::date, '3 days') g(t) CROSS JOIN LATERAL (SELECT t::date AS d) x ON CONFLICT DO NOTHING",
    "INSERT INTO rollup_daily (day, service_point_id, service_id, channel, positive, neutral, negative) SELECT d,"
    " sp.id, '', sp.channel, 5 + (random() * 10)::int, (random() * 3)::int, (random() * 2)::int"
    " FROM service_points sp CROSS JOIN generate_series('2026-10-01'::date, '2026-10-31'::date, '1 day') g(t)"
    " CROSS JOIN LATERAL (SELECT t::date AS d) x",
    "INSERT INTO citizens_served (service_point_id, service_id, grain, period_start, period_end, day, served)"
    " SELECT sp.id, '', 'day', d::timestamp AT TIME ZONE 'Europe/Rome',"
    " (d + 1)::timestamp AT TIME ZONE 'Europe/Rome', d, 60 + (random() * 80)::int FROM service_points sp"
    " CROSS JOIN generate_series('2026-10-01'::date, '2026-10-31'::date, '1 day') g(t)"
    " CROSS JOIN LATERAL (SELECT t::date AS d) x",
    "ANALYZE",
]


def load(dsn: str, points: int) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        migrate(conn)
        for statement in LOAD:
            conn.execute(statement.encode(), {"points": points, "sites": max(1, points // 100)})


async def measure(dsn: str, out: Path | None) -> list[tuple[str, float, int]]:
    async with await psycopg.AsyncConnection.connect(dsn) as conn:
        t = time.perf_counter()
        report = await monthly_report(conn, ORG, MONTH, scope=EVERYWHERE)
        figures = [("data (one query set, flags, participation)", time.perf_counter() - t, 0)]
    renders: list[tuple[str, Callable[[], bytes]]] = [
        ("xlsx", lambda: xlsx.render(report, "it")),
        ("pdf", lambda: html.render_pdf(report, "it")),
        ("html", lambda: html.render(report, "it").encode()),
    ]
    for name, render in renders:
        t = time.perf_counter()
        body = render()
        figures.append((name, time.perf_counter() - t, len(body)))
        if out is not None:
            keep(out / f"report.{name}", body)
    return figures


def keep(path: Path, body: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--service-points", type=int, default=5000)
    parser.add_argument("--out", type=Path, help="keep the rendered files here")
    parser.add_argument(
        "--print-every-point", action="store_true", help="the PDF lists every service point (not only below target)"
    )
    args = parser.parse_args()
    if args.print_every_point:
        html.PRINT_POINTS = args.service_points
    with scratch_database("bench-report") as dsn:
        t = time.perf_counter()
        load(dsn, args.service_points)
        print(f"loaded {args.service_points:,} service points in {time.perf_counter() - t:.1f} s")
        load_before = os.getloadavg()
        figures = asyncio.run(measure(dsn, args.out))
    print(f"machine load before measuring (1, 5, 15 min): {', '.join(f'{x:.2f}' for x in load_before)}"
          f" on {os.cpu_count()} cores")  # fmt: skip
    print(f"| step | {args.service_points:,} service points | size |")
    print("|---|---|---|")
    for name, seconds, size in figures:
        print(f"| {name} | {seconds:.2f} s | {size / 1e6:.1f} MB |" if size else f"| {name} | {seconds:.2f} s | |")


if __name__ == "__main__":
    main()
