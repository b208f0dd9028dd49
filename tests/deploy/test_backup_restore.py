"""deploy/backup on a real PostgreSQL with ratings stored by a real collector through a real broker: back up,
destroy, restore, and every rating is back with rollups equal to the raw rows.

Two ways, as deploy/backup/README.md describes them: the nightly dump (db-dump.sh, db-restore.sh), and a
base backup with the WAL archive (base-backup.sh, wal-archive.sh, pitr-restore.sh), which also brings back
what was written after the base backup, and can stop at an earlier time.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from devstack.mosquitto import LocalMosquitto
from devstack.postgres import LocalPostgres
from devstack.processes import free_port, give_to
from tests.fixtures.fix_collector import collectors
from tests.fixtures.fix_kiosk_mqtt import Publisher
from tests.fixtures.fix_pg_archive import (
    DATABASE,
    ArchivedCluster,
    archived,
    assert_rollups_equal_raw_rows,
    contents,
    current_segment,
    install_scripts,
    stored_events,
)
from tests.fixtures.kiosk_messages import fleet, wire
from tests.waiting import wait_for

START = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=2)


def press(publisher: Publisher, url: str, first: int, per_kiosk: int) -> set[str]:
    """Ratings `first`..`first + per_kiosk - 1` of four kiosks through the broker; returns once all are stored."""
    ratings = [
        r.model_copy(update={"seq": r.seq + first - 1})
        for r in fleet("bk", 4, per_kiosk, START + timedelta(minutes=7 * (first - 1)), timedelta(minutes=7))
    ]
    events = {str(r.event_id) for r in ratings}
    before = stored_events(url)
    publisher.send_all(wire("bk", ratings))
    assert wait_for(lambda: stored_events(url) >= before | events, 60), "the collector did not store them all"
    return events


def test_nightly_dump_brings_every_rating_back_after_the_database_is_dropped(
    archived_cluster: ArchivedCluster, broker: LocalMosquitto, publisher: Publisher, tmp_path: Path
) -> None:
    cluster = archived_cluster
    with collectors(cluster.url, broker, tmp_path) as start:
        collector = start()
        events = press(publisher, cluster.url, 1, 60)
        done = cluster.run("db-dump.sh", str(cluster.root / "dumps"))
        collector.stop()
    assert "db-dump.sh: " in done.stdout
    dumps = sorted((cluster.root / "dumps").glob("mlf-*.dump"))
    assert len(dumps) == 1
    assert not list((cluster.root / "dumps").glob("*.partial"))
    assert dumps[0].stat().st_mode & 0o077 == 0, "a dump must be readable by its owner only"
    before = contents(cluster.url)
    assert len(before["ratings"]) == len(events) == 240

    with psycopg.connect(cluster.server.dsn(), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE {DATABASE} WITH (FORCE)".encode())
    refused = cluster.run("db-restore.sh", str(cluster.root / "nothing.dump"), check=False)
    assert refused.returncode != 0
    assert "not a readable pg_dump archive" in refused.stderr

    with psycopg.connect(cluster.server.dsn(), autocommit=True) as conn:
        conn.execute("CREATE ROLE mlf_app LOGIN")
    done = cluster.run("db-restore.sh", str(dumps[0]), env={"MLF_RESTORE_ROLE": "mlf_app"})
    assert "TimescaleDB: no" in done.stdout
    assert owners(cluster.url) == {"mlf_app"}, "everything belongs to the collector's role"
    assert contents(cluster.url) == before
    assert stored_events(cluster.url) == events
    assert_rollups_equal_raw_rows(cluster.url)

    again = cluster.run("db-restore.sh", str(dumps[0]), check=False)
    assert again.returncode != 0
    assert "already exists" in again.stderr, "a restore never writes into a database"

    # The collector carries on with the restored database: new ratings are stored, counted and acked.
    with collectors(cluster.url, broker, tmp_path) as start:
        start()
        later = press(publisher, cluster.url, 61, 5)
    assert stored_events(cluster.url) == events | later
    assert_rollups_equal_raw_rows(cluster.url)


def test_dumps_are_pruned_to_the_newest_ones(archived_cluster: ArchivedCluster) -> None:
    folder = archived_cluster.root / "dumps"
    folder.mkdir()
    for day in ("20261101T023000Z", "20261102T023000Z", "20261103T023000Z"):
        (folder / f"mlf-{day}.dump").write_bytes(b"old")
    (folder / "other-20261101T023000Z.dump").write_bytes(b"another database's")
    give_to(folder, archived_cluster.server.user)
    bad = archived_cluster.run("db-dump.sh", str(folder), check=False, env={"MLF_BACKUP_KEEP": "0"})
    assert bad.returncode == 2
    assert "MLF_BACKUP_KEEP" in bad.stderr
    archived_cluster.run("db-dump.sh", str(folder), env={"MLF_BACKUP_KEEP": "2"})
    new = {p.name for p in folder.iterdir()} - {"mlf-20261103T023000Z.dump", "other-20261101T023000Z.dump"}
    assert len(new) == 1, sorted(folder.iterdir())
    assert next(iter(new)) > "mlf-20261103T023000Z.dump"


def test_base_backup_and_wal_archive_recover_what_came_after_the_base_backup(
    archived_cluster: ArchivedCluster, broker: LocalMosquitto, publisher: Publisher, tmp_path: Path
) -> None:
    cluster = archived_cluster
    base_dir = cluster.root / "base"
    with collectors(cluster.url, broker, tmp_path) as start:
        collector = start()
        first = press(publisher, cluster.url, 1, 40)
        cluster.run("base-backup.sh", str(base_dir), str(cluster.wal))
        bases = sorted(base_dir.glob("base-*Z"))
        assert len(bases) == 1
        assert (bases[0] / "backup_label").is_file()
        time.sleep(1.1)
        between = datetime.now(UTC)
        time.sleep(1.1)
        second = press(publisher, cluster.url, 41, 40)
        after_second = contents(cluster.url)
        segment = current_segment(cluster.url)
        waited = time.monotonic()
        assert wait_for(lambda: archived(cluster.url, segment), 30), "archive_timeout did not archive the segment"
        waited = time.monotonic() - waited
        collector.kill()
    assert waited < 10

    # The server dies and its data directory is lost.
    cluster.server.stop("immediate")
    shutil.rmtree(cluster.server.datadir)

    cluster.run("pitr-restore.sh", str(bases[0]), str(cluster.wal), str(cluster.server.datadir))
    cluster.server.start()
    assert wait_for(lambda: not in_recovery(cluster.url), 60), "recovery did not finish"
    assert stored_events(cluster.url) == first | second
    assert contents(cluster.url) == after_second
    assert_rollups_equal_raw_rows(cluster.url)

    # And to a point in time before the second lot: only the first is there.
    cluster.server.stop("fast")
    refused = cluster.run("pitr-restore.sh", str(bases[0]), str(cluster.wal), str(cluster.server.datadir), check=False)
    assert refused.returncode != 0
    assert "not empty" in refused.stderr
    aside = cluster.root / "replaced"
    cluster.run(
        "pitr-restore.sh",
        "--move-aside",
        str(aside),
        str(bases[0]),
        str(cluster.wal),
        str(cluster.server.datadir),
        between.isoformat(),
    )
    assert (aside / "PG_VERSION").is_file(), "the replaced data directory is kept"
    cluster.server.start()
    assert wait_for(lambda: not in_recovery(cluster.url), 60), "recovery did not finish"
    assert stored_events(cluster.url) == first
    assert_rollups_equal_raw_rows(cluster.url)


def owners(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        tables = conn.execute("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'").fetchall()
        database = conn.execute("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()")
        return {str(o) for (o,) in [*tables, *database.fetchall()]}


def in_recovery(url: str) -> bool:
    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=2) as conn:
            row = conn.execute("SELECT pg_is_in_recovery()").fetchone()
    except psycopg.OperationalError:
        return True
    return bool(row and row[0])


@pytest.mark.parametrize("content", [b"same", b"other"])
def test_wal_archive_accepts_a_segment_again_but_never_overwrites_another(
    service_dirs: Callable[[str], Path], content: bytes
) -> None:
    """PostgreSQL retries a segment after a crash (same content: fine); two servers writing one archive
    folder would clobber each other (different content: refused, the segment stays with PostgreSQL)."""
    folder = service_dirs("wal-scripts")
    cluster = ArchivedCluster(LocalPostgres(folder / "no-server", free_port()), folder)  # the scripts' user only
    install_scripts(cluster.scripts)
    give_to(folder, cluster.server.user)
    segment = folder / "000000010000000000000099"
    segment.write_bytes(b"same")
    first = cluster.run("wal-archive.sh", str(segment), segment.name, str(folder / "wal"), check=False)
    assert first.returncode == 0
    segment.write_bytes(content)
    again = cluster.run("wal-archive.sh", str(segment), segment.name, str(folder / "wal"), check=False)
    assert (again.returncode == 0) == (content == b"same")
    fetched = folder / "fetched"
    cluster.run("wal-fetch.sh", segment.name, str(fetched), str(folder / "wal"))
    assert fetched.read_bytes() == b"same"
    missing = cluster.run("wal-fetch.sh", "000000010000000000000100", str(fetched), str(folder / "wal"), check=False)
    assert missing.returncode == 1


@pytest.mark.timescaledb
def test_dump_of_a_timescaledb_database_restores_with_its_hypertable(
    tsdb_server: LocalPostgres,
    tsdb_url: str,
    broker: LocalMosquitto,
    publisher: Publisher,
    tmp_path: Path,
    service_dirs: Callable[[str], Path],
) -> None:
    """The dump's TimescaleDB path: pre/post-restore around pg_restore, the ratings still a hypertable."""
    cluster = ArchivedCluster(tsdb_server, service_dirs("tsdb-backup"))
    give_to(cluster.root, tsdb_server.user)
    database = tsdb_url.rsplit("/", 1)[1]
    env = {"PGDATABASE": database}
    with collectors(tsdb_url, broker, tmp_path, COLLECTOR_TIMESCALEDB="on") as start:
        start()
        events = press(publisher, tsdb_url, 1, 30)
    dumps = cluster.root / "dumps"
    cluster.run("db-dump.sh", str(dumps), env=env)
    before = contents(tsdb_url)
    with psycopg.connect(tsdb_server.dsn(), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE {database} WITH (FORCE)".encode())
    done = cluster.run("db-restore.sh", str(next(dumps.glob("*.dump"))), env=env)
    assert "TimescaleDB: yes" in done.stdout
    assert contents(tsdb_url) == before
    assert stored_events(tsdb_url) == events
    assert_rollups_equal_raw_rows(tsdb_url)
    with psycopg.connect(tsdb_url) as conn:
        hypertables = conn.execute("SELECT hypertable_name FROM timescaledb_information.hypertables").fetchall()
        assert ("ratings",) in hypertables
        restoring = conn.execute("SHOW timescaledb.restoring").fetchone()
        assert restoring == ("off",), "timescaledb_post_restore() ran"
