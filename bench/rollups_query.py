"""Rollup-backed queries vs the same answers from raw rows, same database, same run.

Loads a year of simulated history (firmware_sim's citizen model) through the collector's own
write path (`write_batch`: key table, rollups, gaps, misuse), then times two questions managers
ask, each answered from `rollup_daily` and from `ratings`, and checks the answers are equal:
- overview: counts per face of every service point over the last 365 days;
- series: one service point's counts per local day over the year.

    .venv/bin/python bench/rollups_query.py --points 100 --days 365
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

from collector.ingest.messages import Inbound, sort_batch
from collector.store.migrate import migrate
from collector.store.writes import WriteOptions, write_batch
from devstack.postgres import LocalPostgres
from devstack.processes import free_port, give_to
from firmware_sim.backfill import history
from firmware_sim.citizens import demo_fleet
from protocol import TopicKind, build_topic, encode

ORG = "bench"
FACES = "count(*) FILTER (WHERE face = 'positive' AND NOT misuse), count(*) FILTER (WHERE face = 'neutral' AND NOT misuse), count(*) FILTER (WHERE face = 'negative' AND NOT misuse)"  # noqa: E501
QUERIES = {
    "overview, all service points, 365 days": (
        "SELECT service_point_id, sum(positive), sum(neutral), sum(negative) FROM rollup_daily"
        " WHERE day >= %(since)s GROUP BY 1 ORDER BY 1",
        f"SELECT service_point_id, {FACES} FROM ratings r"  # noqa: S608 - constants only
        " WHERE pressed_at >= %(since)s::timestamp AT TIME ZONE 'Europe/Rome' GROUP BY 1 ORDER BY 1",
    ),
    "overview, all service points, 12 months": (
        "SELECT service_point_id, sum(positive), sum(neutral), sum(negative) FROM rollup_monthly"
        " WHERE month >= %(month)s GROUP BY 1 ORDER BY 1",
        f"SELECT service_point_id, {FACES} FROM ratings r"  # noqa: S608 - constants only
        " WHERE pressed_at >= %(month)s::timestamp AT TIME ZONE 'Europe/Rome' GROUP BY 1 ORDER BY 1",
    ),
    "one service point, per day, 365 days": (
        "SELECT day, sum(positive), sum(neutral), sum(negative) FROM rollup_daily"
        " WHERE service_point_id = %(sp)s AND day >= %(since)s GROUP BY 1 ORDER BY 1",
        f"SELECT (pressed_at AT TIME ZONE 'Europe/Rome')::date, {FACES} FROM ratings"  # noqa: S608 - constants only
        " WHERE service_point_id = %(sp)s AND pressed_at >= %(since)s::timestamp AT TIME ZONE 'Europe/Rome'"
        " GROUP BY 1 ORDER BY 1",
    ),
}


def load(conn: psycopg.Connection[Any], points: int, days: int, batch: int) -> tuple[int, float]:
    fleet = demo_fleet(points, org=ORG)
    end = datetime.now(UTC).date()
    received = datetime.now(UTC)
    pending: list[Inbound] = []
    total, started = 0, time.perf_counter()
    for rating in history(fleet, end - timedelta(days=days), end):
        topic = build_topic(ORG, rating.kiosk_id, TopicKind.RATING)
        pending.append(Inbound(topic, encode(rating), received))
        if len(pending) == batch:
            total += write_batch(conn, sort_batch(pending), WriteOptions()).stored
            pending = []
    if pending:
        total += write_batch(conn, sort_batch(pending), WriteOptions()).stored
    return total, time.perf_counter() - started


def timed(conn: psycopg.Connection[Any], query: str, params: dict[str, Any], repeat: int) -> tuple[list[Any], float]:
    times = []
    rows: list[Any] = []
    for _ in range(repeat):
        t = time.perf_counter()
        rows = conn.execute(query.encode(), params).fetchall()
        times.append(time.perf_counter() - t)
    return rows, statistics.quantiles(times, n=20)[18] if len(times) >= 2 else times[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--points", type=int, default=100)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mlf-bench-"))
    work.chmod(0o755)
    (work / "pg").mkdir()
    pg = LocalPostgres(work / "pg" / "data", free_port(), durable=True)
    give_to(work / "pg", pg.user)
    try:
        pg.init()
        pg.start()
        with psycopg.connect(pg.create_database("mlf"), autocommit=True) as conn:
            migrate(conn)
            stored, seconds = load(conn, args.points, args.days, args.batch)
            conn.execute("VACUUM ANALYZE")
            print(f"{stored:,} ratings of {args.points} service points over {args.days} days, loaded through")
            print(f"the collector's write path in {seconds:.0f} s ({stored / seconds:,.0f} ratings/s); 2 cores shared")
            since = date.today() - timedelta(days=args.days)
            params = {"since": since, "month": since.replace(day=1), "sp": f"{ORG}-sportello-1"}
            for name, (rollup, raw) in QUERIES.items():
                fast, t_fast = timed(conn, rollup, params, args.repeat)
                slow, t_slow = timed(conn, raw, params, max(3, args.repeat // 4))
                same = [tuple(int(v) if isinstance(v, int) else v for v in r) for r in fast] == [tuple(r) for r in slow]
                print(
                    f"{name:40s} rollups p95 {t_fast * 1000:8.1f} ms   raw rows p95 {t_slow * 1000:8.1f} ms"
                    f"   {t_slow / t_fast:6.0f}x   same answer: {'yes' if same else 'NO'}"
                )
    finally:
        pg.stop("fast")
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
