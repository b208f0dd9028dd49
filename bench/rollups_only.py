"""A year (2025) of `demo_fleet(N)` loaded as rollups only, without raw rows.

For benches of pages that read nothing but rollups (the board's overview over whole local years reads
`rollup_yearly_points`), at scales whose raw rows would not fit a shared machine's disk or afternoon: 5,000
service points are 46 million ratings, about 50 GB and half an hour to load. The citizens are drawn by the
same generator as `bench/api_overview.py` (`firmware_sim.citizens.visits_on`: the same mixes, hours and
volumes), counted per local month, service point, service and channel in Python, and stored as
`rollup_monthly`; the per-point monthly and yearly tiers are built from it by the storage contract's
definitions (`api_overview.ROLLUPS`). Hourly and daily rollups and reasons stay empty.
"""

from __future__ import annotations

import multiprocessing
import random
import time
from collections import defaultdict
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import psycopg
from api_overview import ORG, ROLLUP_TABLES, ROLLUPS, TIMEZONE, YEAR_END, YEAR_START, registry

from collector.store.migrate import migrate
from firmware_sim.citizens import demo_fleet, visits_on
from protocol import Face

FACE_COLUMN = {Face.POSITIVE: 0, Face.NEUTRAL: 1, Face.NEGATIVE: 2}
Key = tuple[int, str, str, str]
"""(local month, service point, service, channel)."""


def _month_counts(points: int, part: int, parts: int) -> dict[Key, list[int]]:
    """One worker's share of the fleet: positive, neutral, negative per local month, point, service, channel."""
    zone, rng = ZoneInfo(TIMEZONE), random.Random(part + 1)
    counts: defaultdict[Key, list[int]] = defaultdict(lambda: [0, 0, 0])
    fleet = demo_fleet(points, org=ORG)[part::parts]
    day = YEAR_START
    while day < YEAR_END:
        for point in fleet:
            for visit in visits_on(point, day, zone, rng):
                counts[(day.month, point.id, visit.service or "", point.channel.value)][FACE_COLUMN[visit.face]] += 1
        day += timedelta(days=1)
    return dict(counts)


def load(dsn: str, points: int, workers: int = 2) -> None:
    """Registry and rollups of `points` service points; skipped when this scale is already loaded."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        migrate(conn)
        conn.execute("CREATE TABLE IF NOT EXISTS bench_meta (points int PRIMARY KEY, ratings bigint NOT NULL)")
        if conn.execute("SELECT 1 FROM bench_meta WHERE points = %s", (points,)).fetchone():
            return
        print(f"loading {points} service points, {YEAR_START}..{YEAR_END}, as rollups only (no raw rows)", flush=True)
        started = time.monotonic()
        for table in ("ratings", *ROLLUP_TABLES, "bench_meta"):
            conn.execute(f"TRUNCATE {table}".encode())
        registry(conn, points)
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            parts = pool.starmap(_month_counts, [(points, part, workers) for part in range(workers)])
        total = 0
        with (
            conn.cursor() as cur,
            cur.copy(
                "COPY rollup_monthly (month, service_point_id, service_id, channel, positive, neutral, negative,"
                " misuse) FROM STDIN"
            ) as copy,
        ):
            for counts in parts:
                for (month, point, service, channel), faces in counts.items():
                    copy.write_row((date(YEAR_START.year, month, 1), point, service, channel, *faces, 0))
                    total += sum(faces)
        for statement in ROLLUPS:
            if "FROM rollup_" in statement:  # the tiers built from rollup_monthly, not from raw rows
                conn.execute(statement.encode())
        conn.execute("VACUUM ANALYZE")
        conn.execute("INSERT INTO bench_meta VALUES (%s, %s)", (points, total))
        print(f"  {total:,} ratings counted into rollups in {time.monotonic() - started:.0f} s", flush=True)
