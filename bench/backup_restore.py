"""How long the backups of deploy/backup take, and what they weigh, for a database of a given size.

Loads ratings through the collector's write path into a durable PostgreSQL that archives its WAL as
deploy/backup/postgresql-archive.conf says, then times, with the scripts themselves: a base backup, the
nightly dump, a restore of that dump into a new database, and a point-in-time recovery (data directory
wiped, base backup + every archived segment replayed). Prints sizes and times.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg
from rollups_query import load

from collector.store.migrate import migrate
from devstack.postgres import SUPERUSER, LocalPostgres, pg_bindir
from devstack.processes import free_port, give_to

BACKUP = Path(__file__).resolve().parents[1] / "deploy" / "backup"


def run(pg: LocalPostgres, script: str, *args: str) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env |= {"PGHOST": "127.0.0.1", "PGPORT": str(pg.port), "PGUSER": SUPERUSER, "PGDATABASE": "mlf"}
    env["MLF_PG_BINDIR"] = str(pg_bindir())
    started = time.perf_counter()
    subprocess.run(["/bin/sh", str(BACKUP / script), *args], env=env, user=pg.user, check=True, capture_output=True)
    return time.perf_counter() - started


def size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def count(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM ratings").fetchone()
    return int(row[0]) if row else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--points", type=int, default=50, help="service points")
    parser.add_argument("--days", type=int, default=180, help="days of history")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mlf-bench-backup-"))
    work.chmod(0o755)
    pg = LocalPostgres(work / "data", free_port(), durable=True)
    wal = work / "wal"
    try:
        pg.init()
        conf = (BACKUP / "postgresql-archive.conf").read_text()
        conf = conf.replace("/usr/local/lib/mlf-backup", str(BACKUP)).replace("/var/backups/mlf/wal", str(wal))
        with (pg.datadir / "postgresql.conf").open("a") as out:
            out.write(conf)
        give_to(work, pg.user)
        pg.start()
        url = pg.ensure_database("mlf")
        with psycopg.connect(url, autocommit=True) as conn:
            migrate(conn)
            t_base = run(pg, "base-backup.sh", str(work / "base"), str(wal))
            stored, t_load = load(conn, args.points, args.days, 2000)
            conn.execute("VACUUM ANALYZE")
            db_bytes = conn.execute("SELECT pg_database_size('mlf')").fetchone()[0]  # type: ignore[index]
            conn.execute("SELECT pg_switch_wal()")
        time.sleep(2)
        t_dump = run(pg, "db-dump.sh", str(work / "dumps"))
        dump = next((work / "dumps").glob("*.dump"))
        print(f"{stored:,} ratings ({args.points} service points, {args.days} days) loaded in {t_load:.0f} s;")
        print(f"database {db_bytes / 2**20:,.0f} MiB")
        print(f"base backup (empty database)   {t_base:6.1f} s   {size(work / 'base') / 2**20:8.1f} MiB")
        print(f"nightly dump                   {t_dump:6.1f} s   {dump.stat().st_size / 2**20:8.1f} MiB")
        with psycopg.connect(pg.dsn(), autocommit=True) as conn:
            conn.execute("DROP DATABASE mlf WITH (FORCE)")
        t_restore = run(pg, "db-restore.sh", str(dump))
        assert count(url) == stored
        print(f"restore of the dump            {t_restore:6.1f} s   (every rating back: {count(url):,})")
        segments = list(wal.glob("*.gz"))
        print(
            f"WAL archive                    {len(segments)} segments, {size(wal) / 2**20:.1f} MiB compressed"
            f" ({len(segments) * 16} MiB as written)"
        )
        pg.stop("immediate")
        shutil.rmtree(pg.datadir)
        started = time.perf_counter()
        base = next((work / "base").glob("base-*Z"))
        run(pg, "pitr-restore.sh", str(base), str(wal), str(pg.datadir))
        pg.start()
        while True:
            try:
                with psycopg.connect(url, connect_timeout=2) as conn:
                    row = conn.execute("SELECT pg_is_in_recovery()").fetchone()
                if row == (False,):
                    break
            except psycopg.OperationalError:
                pass
            time.sleep(0.2)
        t_pitr = time.perf_counter() - started
        print(f"point-in-time recovery         {t_pitr:6.1f} s   (every rating back: {count(url):,})")
    finally:
        pg.stop("fast")
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
