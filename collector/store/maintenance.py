"""Physical storage: TimescaleDB when the server has it, plain PostgreSQL otherwise; retention.

The relations and what they mean are the same on both (the migrations define them).
With TimescaleDB, `ratings` becomes a hypertable partitioned by `received_at` (it never
changes after the insert, so a rating never moves between chunks when its time is
corrected, and late data lands in the newest, uncompressed chunk), compressed after
`compress_after_days`, raw rows dropped after `raw_retention_days` by TimescaleDB's
jobs. On plain PostgreSQL the collector deletes expired raw rows itself. Rollups are
kept on both. Event keys outlive the raw rows (see `key_retention`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

import psycopg
from psycopg import sql
from psycopg.rows import TupleRow

from collector.ingest.messages import MAX_AGE
from collector.store.migrate import LOCK_KEY

log = logging.getLogger(__name__)

Backend = Literal["timescaledb", "postgresql"]
KEY_MARGIN = timedelta(days=30)
PRUNE_BATCH = 50_000


class StorageError(RuntimeError):
    pass


@dataclass(frozen=True)
class StoragePolicy:
    timescaledb: Literal["auto", "on", "off"] = "auto"
    chunk_days: int = 7
    compress_after_days: int = 30
    raw_retention_days: int = 0


def timescaledb_usable(conn: psycopg.Connection[TupleRow]) -> bool:
    """The server preloads TimescaleDB and has it installed (or this database uses it already)."""
    row = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb')"
        " OR (EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb')"
        "     AND current_setting('shared_preload_libraries') ~ '(^|[ ,])timescaledb($|[ ,])')"
    ).fetchone()
    return bool(row and row[0])


def is_hypertable(conn: psycopg.Connection[TupleRow], table: str = "ratings") -> bool:
    row = conn.execute(
        "SELECT to_regclass('timescaledb_information.hypertables') IS NOT NULL AND EXISTS ("
        " SELECT 1 FROM pg_extension WHERE extname = 'timescaledb')"
    ).fetchone()
    if not (row and row[0]):
        return False
    found = conn.execute(
        "SELECT 1 FROM timescaledb_information.hypertables WHERE hypertable_name = %s", (table,)
    ).fetchone()
    return found is not None


def setup_storage(conn: psycopg.Connection[TupleRow], policy: StoragePolicy) -> Backend:
    """Make the physical layout match `policy` (idempotent; serialised with migrations)."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
        already = is_hypertable(conn)
        wanted = policy.timescaledb == "on" or (policy.timescaledb == "auto" and timescaledb_usable(conn))
        if policy.timescaledb == "on" and not timescaledb_usable(conn):
            raise StorageError(
                "COLLECTOR_TIMESCALEDB=on, but the server does not preload TimescaleDB "
                "(shared_preload_libraries = 'timescaledb')"
            )
        if already and policy.timescaledb == "off":
            raise StorageError("ratings is a TimescaleDB hypertable; COLLECTOR_TIMESCALEDB=off cannot undo that")
        if not (wanted or already):
            return "postgresql"
        try:
            with conn.transaction():
                conn.execute("CREATE EXTENSION IF NOT EXISTS timescaledb")
        except psycopg.errors.InsufficientPrivilege:
            if policy.timescaledb == "on":
                raise StorageError(
                    "the collector's database user may not create the TimescaleDB extension: "
                    "run `CREATE EXTENSION timescaledb;` in the database as a superuser once"
                ) from None
            log.warning("TimescaleDB is available but not created in this database (needs a superuser): plain tables")
            return "postgresql"
        _hypertable(conn, policy, already)
    return "timescaledb"


def _hypertable(conn: psycopg.Connection[TupleRow], policy: StoragePolicy, already: bool) -> None:
    chunk = timedelta(days=policy.chunk_days)
    if not already:
        log.info("converting ratings into a TimescaleDB hypertable (chunks of %d days)", policy.chunk_days)
        conn.execute(
            "SELECT create_hypertable('ratings', by_range('received_at', %s::interval), migrate_data => true)",
            (chunk,),
        )
        conn.execute(
            "ALTER TABLE ratings SET (timescaledb.compress, timescaledb.compress_segmentby = 'service_point_id',"
            " timescaledb.compress_orderby = 'pressed_at')"
        )
    else:
        conn.execute("SELECT set_chunk_time_interval('ratings', %s::interval)", (chunk,))
    _policy(conn, "compression", "compress_after", policy.compress_after_days)
    _policy(conn, "retention", "drop_after", policy.raw_retention_days)


def _policy(conn: psycopg.Connection[TupleRow], kind: str, key: str, days: int) -> None:
    """Add, change or remove one TimescaleDB policy on ratings (`days` 0: none)."""
    proc = f"policy_{kind}"
    row = conn.execute(
        "SELECT config ->> %s FROM timescaledb_information.jobs WHERE hypertable_name = 'ratings' AND proc_name = %s",
        (key, proc),
    ).fetchone()
    wanted = timedelta(days=days)
    if row is not None and days and row[0] is not None:
        current = conn.execute("SELECT %s::interval", (row[0],)).fetchone()
        if current and current[0] == wanted:
            return
    if row is not None:
        conn.execute(f"SELECT remove_{kind}_policy('ratings', if_exists => true)".encode())
    if days:
        conn.execute(f"SELECT add_{kind}_policy('ratings', {key} => %s::interval)".encode(), (wanted,))
        log.info("TimescaleDB %s policy on ratings: %d days", kind, days)


def policy_job(conn: psycopg.Connection[TupleRow], kind: Literal["compression", "retention"]) -> int | None:
    """Id of the TimescaleDB job of that policy on ratings (to `CALL run_job` it by hand)."""
    row = conn.execute(
        "SELECT job_id FROM timescaledb_information.jobs WHERE hypertable_name = 'ratings' AND proc_name = %s",
        (f"policy_{kind}",),
    ).fetchone()
    return int(row[0]) if row else None


def key_retention(raw_retention_days: int) -> timedelta | None:
    """How long event keys are kept: as long as raw rows, and never less than the oldest acceptable
    press plus a margin (a redelivery older than that is refused as an absurd time anyway)."""
    if raw_retention_days == 0:
        return None
    return max(timedelta(days=raw_retention_days), MAX_AGE + KEY_MARGIN)


def prune(
    conn: psycopg.Connection[TupleRow], backend: Backend, raw_retention_days: int, quarantine_retention_days: int
) -> dict[str, int]:
    """Delete what has expired, in slices of its own transaction each; rows deleted per table.

    Raw ratings only on plain PostgreSQL (TimescaleDB drops whole chunks itself); event keys
    per `key_retention`; clock anchors of boots older than any acceptable press; quarantine.
    """
    deleted: dict[str, int] = {}
    if raw_retention_days and backend == "postgresql":
        deleted["ratings"] = _delete_in_slices(
            conn, "ratings", "ctid", "received_at", timedelta(days=raw_retention_days)
        )
    if (keep_keys := key_retention(raw_retention_days)) is not None:
        deleted["rating_keys"] = _delete_in_slices(conn, "rating_keys", "event_id", "received_at", keep_keys)
    deleted["kiosk_boots"] = _delete_in_slices(conn, "kiosk_boots", "ctid", "started_at", MAX_AGE + KEY_MARGIN)
    if quarantine_retention_days:
        deleted["quarantine"] = _delete_in_slices(
            conn, "quarantine", "id", "received_at", timedelta(days=quarantine_retention_days)
        )
    return deleted


def _delete_in_slices(conn: psycopg.Connection[TupleRow], table: str, key: str, column: str, age: timedelta) -> int:
    query = sql.SQL(
        "DELETE FROM {table} WHERE {key} = ANY(ARRAY(SELECT {key} FROM {table} WHERE {column} < now() - %s LIMIT %s))"
    ).format(table=sql.Identifier(table), key=sql.Identifier(key), column=sql.Identifier(column))
    total = 0
    while True:
        with conn.transaction():
            n = max(conn.execute(query, (age, PRUNE_BATCH)).rowcount, 0)
        total += n
        if n < PRUNE_BATCH:
            return total
