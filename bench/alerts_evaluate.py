"""Bench: one alert evaluation cycle (`collector.alerts.evaluate`) for an organisation of N service points.

Builds, in a PostgreSQL of its own (under var/, removed at the end), 28 days of hourly rollups for N service
points (and the daily and monthly rollups ingest keeps beside them), one kiosk per service point heard in the
last 30 minutes (some quiet longer than the silence threshold, some with a growing outbox), opening hours for
the organisation, and three subscriptions. Then times cycles as the collector runs them every minute: the
first (every service point below target and every silent kiosk becomes an event, fanned out to the
subscriptions), then steady ones in which nothing changes (the common case).

    .venv/bin/python bench/alerts_evaluate.py                        # 5,000 service points
    .venv/bin/python bench/alerts_evaluate.py --service-points 500 --cycles 3
    .venv/bin/python bench/alerts_evaluate.py --always-open   # every quiet kiosk is silent in opening hours
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scratch_pg import scratch_database  # noqa: E402

from collector.alerts.evaluate import evaluate  # noqa: E402
from collector.alerts.settings import AlertSettings  # noqa: E402
from collector.store.migrate import migrate  # noqa: E402

LOAD = [
    "SELECT setseed(0.15)",
    "INSERT INTO organisations (id, name) VALUES ('bench', 'Ente di prova')",
    "INSERT INTO sites (id, org_id, name) SELECT 'bench-sede-' || i, 'bench', 'Sede ' || i"
    " FROM generate_series(1, %(sites)s) i",
    "INSERT INTO service_points (id, org_id, site_id, name) SELECT 'bench-sp-' || i, 'bench',"
    " 'bench-sede-' || (1 + i %% %(sites)s), 'Sportello ' || i FROM generate_series(1, %(points)s) i",
    # Ten opening hours a day for 28 days, ~3 ratings an hour; one point in ten much worse.
    "INSERT INTO rollup_hourly (bucket, service_point_id, service_id, channel, positive, neutral, negative)"
    " SELECT h, sp.id, '', 'counter', (n * g)::int, (n * (1 - g) * 0.6)::int, (n * (1 - g) * 0.4)::int"
    " FROM service_points sp"
    " CROSS JOIN LATERAL (SELECT CASE WHEN random() < 0.1 THEN 0.5 ELSE 0.8 + random() * 0.15 END"
    "  + 0 * length(sp.id) AS g) q"
    " CROSS JOIN generate_series(date_trunc('hour', now()) - interval '28 days', date_trunc('hour', now())"
    "  - interval '1 hour', interval '1 hour') h"
    " CROSS JOIN LATERAL (SELECT 1 + random() * 4 + 0 * extract(epoch FROM h) AS n) x"
    " WHERE extract(hour FROM h AT TIME ZONE 'Europe/Rome') BETWEEN 8 AND 17",
    "INSERT INTO rollup_daily (day, service_point_id, service_id, channel, positive, neutral, negative)"
    " SELECT (bucket AT TIME ZONE 'Europe/Rome')::date, service_point_id, service_id, channel, sum(positive),"
    " sum(neutral), sum(negative) FROM rollup_hourly GROUP BY 1, 2, 3, 4",
    "INSERT INTO rollup_monthly (month, service_point_id, service_id, channel, positive, neutral, negative)"
    " SELECT date_trunc('month', day)::date, service_point_id, service_id, channel, sum(positive), sum(neutral),"
    " sum(negative) FROM rollup_daily GROUP BY 1, 2, 3, 4",
    "INSERT INTO rollup_monthly_points SELECT month, service_point_id, sum(positive), sum(neutral), sum(negative),"
    " 0, 0 FROM rollup_monthly GROUP BY 1, 2",
    # One kiosk per point, heard 0-30 minutes ago; one in twenty with an outbox of 0-100 ratings.
    "INSERT INTO kiosks (id, org_id, service_point_id, last_seen_at, last_heartbeat, last_heartbeat_at)"
    " SELECT 'bench-k-' || i, 'bench', 'bench-sp-' || i, now() - random() * interval '30 minutes',"
    " CASE WHEN i %% 20 = 0 THEN jsonb_build_object('outbox_depth', (random() * 100)::int, 'last_seq', 1000)"
    " END, now() FROM generate_series(1, %(points)s) i",
    "INSERT INTO opening_hours (org_id, scope, scope_id, weekday, opens, closes)"
    " SELECT 'bench', 'organisation', '', d, %(opens)s, %(closes)s FROM generate_series(1, %(days)s) d",
    "INSERT INTO alert_subscriptions (id, org_id, channel, target, secret) VALUES"
    " ('sub_bench0000001', 'bench', 'webhook', 'http://127.0.0.1:9/a', 'whsec_x'),"
    " ('sub_bench0000002', 'bench', 'webhook', 'http://127.0.0.1:9/b', 'whsec_y'),"
    " ('sub_bench0000003', 'bench', 'email', 'urp@example.org', NULL)",
    "ANALYZE",
]


def load(dsn: str, points: int, always_open: bool) -> None:
    hours = {"opens": 0, "closes": 1440, "days": 7} if always_open else {"opens": 480, "closes": 1080, "days": 5}
    with psycopg.connect(dsn, autocommit=True) as conn:
        migrate(conn)
        for statement in LOAD:
            conn.execute(statement.encode(), {"points": points, "sites": max(1, points // 100), **hours})


async def measure(dsn: str, cycles: int) -> list[tuple[float, int]]:
    """(seconds, events) of each cycle; the collector's default settings."""
    settings = AlertSettings()
    out = []
    async with await psycopg.AsyncConnection.connect(dsn) as conn:
        for _ in range(cycles):
            t = time.perf_counter()
            cycle = await evaluate(conn, settings, datetime.now(UTC))
            out.append((time.perf_counter() - t, len(cycle.events)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--service-points", type=int, default=5000)
    parser.add_argument("--cycles", type=int, default=6, help="the first, then steady ones")
    parser.add_argument("--always-open", action="store_true", help="open round the clock (default: Mon-Fri 8-18)")
    args = parser.parse_args()
    with scratch_database("bench-alerts") as dsn:
        t = time.perf_counter()
        load(dsn, args.service_points, args.always_open)
        print(f"loaded {args.service_points:,} service points and kiosks in {time.perf_counter() - t:.1f} s")
        with psycopg.connect(dsn) as conn:
            (hourly,) = conn.execute("SELECT count(*) FROM rollup_hourly").fetchone() or (0,)
        load_before = os.getloadavg()
        figures = asyncio.run(measure(dsn, args.cycles))
        with psycopg.connect(dsn) as conn:
            (queued,) = conn.execute("SELECT count(*) FROM alert_deliveries").fetchone() or (0,)
    print(f"{hourly:,} hourly rollup rows; machine load before measuring (1, 5, 15 min): "
          f"{', '.join(f'{x:.2f}' for x in load_before)} on {os.cpu_count()} cores")  # fmt: skip
    first, *steady = figures
    print(f"| cycle | {args.service_points:,} service points | events |")
    print("|---|---|---|")
    print(f"| first (every change becomes an event, {queued:,} deliveries queued) | {first[0]:.2f} s | {first[1]:,} |")
    if steady:
        times = [s for s, _ in steady]
        print(f"| steady, median of {len(steady)} (max {max(times):.2f} s) | {statistics.median(times):.2f} s | "
              f"{sum(n for _, n in steady):,} |")  # fmt: skip


if __name__ == "__main__":
    main()
