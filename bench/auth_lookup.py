"""Bench: what authenticating a request with a valid API key costs the database, before and after failed
authentications moved there (collector/api/auth_failures.py), side by side in one run.

In a PostgreSQL of its own (under var/, removed at the end), with `--failures` failed attempts of
`--clients` other addresses in `limited_attempts` (an attack in progress: every row within the window),
it times, interleaved round by round on one pooled connection as a request takes it:

- `before`: the key looked up alone (`keys.find`), as every request did while failures were counted in memory;
- `after`: the key looked up with its address's failures (`keys.find_unless_spent`, what a request does now);
- `failure`: a failed authentication written and checked under its client's lock (a bad key's cost).

It also counts what the valid requests wrote (rows inserted, updated, deleted: `pg_stat_database`).

    .venv/bin/python bench/auth_lookup.py                    # 2,000 rounds, 20,000 failures of 2,000 addresses
    .venv/bin/python bench/auth_lookup.py --rounds 500 --failures 0
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scratch_pg import scratch_database  # noqa: E402

from collector.api.security import new_key  # noqa: E402
from collector.store import attempts, keys  # noqa: E402
from collector.store.attempts import Limit  # noqa: E402
from collector.store.migrate import migrate  # noqa: E402
from collector.store.scope import EVERYWHERE  # noqa: E402

LIMIT = Limit(60, timedelta(minutes=1))
ME = b"m" * 32
WRITES = "SELECT tup_inserted + tup_updated + tup_deleted FROM pg_stat_database WHERE datname = current_database()"


async def run(dsn: str, rounds: int) -> dict[str, list[float]]:
    key = new_key()
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        await keys.create(conn, key.key_id, "bench", "reader", None, key.secret_sha256, scope=EVERYWHERE)
    pool = AsyncConnectionPool(dsn, min_size=1, max_size=1, open=False, kwargs={"prepare_threshold": None})
    await pool.open(wait=True)

    async def before() -> None:
        async with pool.connection() as conn:
            assert await keys.find(conn, key.key_id) is not None

    async def after() -> None:
        async with pool.connection() as conn:
            assert isinstance(
                await keys.find_unless_spent(conn, key.key_id, "authentication", ME, LIMIT), keys.StoredKey
            )

    failures = iter(range(10**9))

    async def failure() -> None:
        async with pool.connection() as conn:
            client = next(failures).to_bytes(32, "big")
            await attempts.begin(conn, "authentication", client, LIMIT, failed=True)

    timings: dict[str, list[float]] = {"before": [], "after": [], "failure": []}
    steps: dict[str, Callable[[], Awaitable[None]]] = {"before": before, "after": after, "failure": failure}
    for _ in range(50):  # warm up
        await before()
        await after()
    for _ in range(rounds):
        for name, step in steps.items():
            started = time.perf_counter()
            await step()
            timings[name].append((time.perf_counter() - started) * 1e6)
    await pool.close()
    return timings


def writes_of_valid_requests(dsn: str, n: int) -> int:
    """Rows written while `n` valid keys are looked up as requests do now (the statistics are read after a
    pause: PostgreSQL reports them when a transaction ends, with a short delay)."""

    async def lookups() -> None:
        key = new_key()
        async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
            await keys.create(conn, key.key_id, "bench 2", "reader", None, key.secret_sha256, scope=EVERYWHERE)
        async with await psycopg.AsyncConnection.connect(dsn) as conn:
            for _ in range(n):
                await keys.find_unless_spent(conn, key.key_id, "authentication", ME, LIMIT)
                await conn.commit()

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SELECT pg_stat_force_next_flush()")
        time.sleep(1.5)
        first = _one(conn, WRITES)
        asyncio.run(lookups())
        time.sleep(1.5)
        conn.execute("SELECT pg_stat_clear_snapshot()")
        return _one(conn, WRITES) - first - 1  # the key made for it


def _one(conn: psycopg.Connection[Any], query: str) -> int:
    row = conn.execute(query).fetchone()
    assert row is not None
    return int(row[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=2000)
    parser.add_argument("--failures", type=int, default=20_000, help="failed attempts already in the window")
    parser.add_argument("--clients", type=int, default=2_000, help="the addresses they came from")
    args = parser.parse_args()
    with scratch_database("bench-auth") as dsn:
        with psycopg.connect(dsn, autocommit=True) as conn:
            migrate(conn)
            conn.execute(
                "INSERT INTO limited_attempts (kind, client, failed)"
                " SELECT 'authentication', sha256(int4send(i %% %(clients)s)), true FROM generate_series(1, %(n)s) i",
                {"clients": max(args.clients, 1), "n": args.failures},
            )
            conn.execute("ANALYZE limited_attempts")
        timings = asyncio.run(run(dsn, args.rounds))
        written = writes_of_valid_requests(dsn, 500)
    print(f"{args.failures:,} failures of {args.clients:,} other addresses in the window; {args.rounds:,} rounds")
    base = statistics.median(timings["before"])
    for name, values in timings.items():
        p50, p99 = statistics.median(values), statistics.quantiles(values, n=100)[98]
        print(f"  {name:8} p50 {p50:7.0f} us  p99 {p99:7.0f} us  ({p50 / base:.2f}x before)")
    print(f"  rows written by 500 valid lookups: {written}")


if __name__ == "__main__":
    main()
