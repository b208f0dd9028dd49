"""TimescaleDB: hypertable, compression and retention, with the same results as plain PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from collector.ingest.messages import Inbound
from collector.store.maintenance import StoragePolicy, is_hypertable, policy_job, prune, setup_storage
from protocol import Face
from tests.fixtures.kiosk_messages import heartbeat, inbound, rating, write

pytestmark = pytest.mark.timescaledb
Conn = psycopg.Connection[tuple[object, ...]]
NOW = datetime.now(UTC).replace(microsecond=0)
ROLLUPS = (
    "rollup_hourly",
    "rollup_daily",
    "rollup_monthly",
    "rollup_monthly_points",
    "rollup_yearly_points",
    "reason_daily",
)


def rows(conn: Conn, query: str) -> list[tuple[Any, ...]]:
    return conn.execute(query.encode()).fetchall()


def one(conn: Conn, query: str) -> Any:
    return rows(conn, query)[0][0]


def story(received: datetime) -> list[list[Inbound]]:
    """Batches of late, duplicated, unsynchronised and bursty ratings of two kiosks, received around `received`."""
    boot = uuid.UUID(int=7)
    reds = [
        rating("t1", s, face=Face.NEGATIVE, reason="waiting-time", pressed_at=received - timedelta(days=3, seconds=-s))
        for s in range(1, 9)
    ]
    unsynced = [rating("t2", s, synced=False, boot_id=boot, uptime_ms=3_600_000 + s * 60_000) for s in range(1, 6)]
    return [
        [inbound("org", r, received) for r in [*reds[:5], *reds[:2], *unsynced]],
        [inbound("org", r, received + timedelta(minutes=1)) for r in reds[5:]],
        [inbound("org", heartbeat("t2", boot, 7_200_000), received + timedelta(minutes=2))],
    ]


def test_ratings_become_a_hypertable_by_receipt_time(tsdb: Conn) -> None:
    assert is_hypertable(tsdb)
    dims = rows(tsdb, "SELECT column_name FROM timescaledb_information.dimensions WHERE hypertable_name = 'ratings'")
    assert dims == [("received_at",)]
    assert policy_job(tsdb, "compression") is not None
    assert policy_job(tsdb, "retention") is None
    # Idempotent, and a changed policy replaces the old one.
    assert setup_storage(tsdb, StoragePolicy(timescaledb="on", compress_after_days=10, raw_retention_days=60)) == (
        "timescaledb"
    )
    config = one(
        tsdb, "SELECT config ->> 'drop_after' FROM timescaledb_information.jobs WHERE proc_name = 'policy_retention'"
    )
    assert config in ("60 days", "@ 60 days")


def test_same_story_same_numbers_on_both_backends(db: Conn, tsdb: Conn) -> None:
    batches = story(NOW)
    for conn in (db, tsdb):
        for batch in batches:
            write(conn, batch)
    raw = "SELECT event_id, seq, pressed_at, time_source::text, misuse FROM ratings ORDER BY event_id"
    assert rows(db, raw) == rows(tsdb, raw)
    assert one(tsdb, "SELECT count(*) FROM ratings") == 13
    for table in ROLLUPS:
        query = f"SELECT * FROM {table} ORDER BY 1, 2, 3, 4, 5"  # noqa: S608 - fixed names
        assert rows(db, query) == rows(tsdb, query), table
    assert one(tsdb, "SELECT sum(misuse) FROM rollup_daily") == 3


def test_compressed_chunks_still_take_corrections_and_refuse_duplicates(tsdb: Conn) -> None:
    received = NOW - timedelta(days=60)
    boot = uuid.UUID(int=9)
    old = [rating("t2", s, synced=False, boot_id=boot, uptime_ms=s * 60_000) for s in range(1, 4)]
    write(tsdb, [inbound("org", r, received) for r in old])
    job = policy_job(tsdb, "compression")
    tsdb.execute(f"CALL run_job({job})".encode())
    assert one(tsdb, "SELECT count(*) FROM timescaledb_information.chunks WHERE is_compressed") >= 1
    # The boot's first heartbeat turns up late: ratings in a compressed chunk move, and their rollups with them.
    write(tsdb, [inbound("org", heartbeat("t2", boot, 10 * 60_000), received + timedelta(minutes=20))])
    assert one(tsdb, "SELECT count(*) FROM ratings WHERE time_source = 'anchored'") == 3
    assert one(tsdb, "SELECT sum(provisional) FROM rollup_hourly") == 0
    result = write(tsdb, [inbound("org", old[0], NOW)])
    assert (result.stored, result.duplicates) == (0, 1)
    hourly = rows(tsdb, "SELECT bucket, positive FROM rollup_hourly")
    assert hourly == rows(tsdb, "SELECT date_trunc('hour', pressed_at, 'UTC'), count(*) FROM ratings GROUP BY 1")


def test_retention_drops_raw_rows_and_keeps_rollups_and_keys(tsdb: Conn) -> None:
    setup_storage(tsdb, StoragePolicy(timescaledb="on", compress_after_days=30, raw_retention_days=90))
    old = rating("t1", 1, pressed_at=NOW - timedelta(days=201))
    write(tsdb, [inbound("org", old, NOW - timedelta(days=200))])
    write(tsdb, [inbound("org", rating("t1", 2, pressed_at=NOW - timedelta(minutes=1)), NOW)])
    tsdb.execute(f"CALL run_job({policy_job(tsdb, 'retention')})".encode())
    assert one(tsdb, "SELECT count(*) FROM ratings") == 1
    assert one(tsdb, "SELECT sum(positive) FROM rollup_daily") == 2, "rollups keep what raw rows no longer have"
    assert prune(tsdb, "timescaledb", 90, 90) == {"rating_keys": 0, "kiosk_boots": 0, "quarantine": 0}
    result = write(tsdb, [inbound("org", old, NOW)])
    assert (result.stored, result.duplicates) == (0, 1), "the key outlives the raw row"
