"""Migrations: applied once, safe to run twice or concurrently, edits of applied files refused."""

from __future__ import annotations

import threading

import psycopg
import pytest

from collector.store import migrate as migrate_module
from collector.store.migrate import Migration, MigrationError, migrate
from devstack.postgres import LocalPostgres


def test_twice_is_a_no_op(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        assert migrate(conn) == []


def test_concurrent_runs_apply_each_migration_once(pg_server: LocalPostgres) -> None:
    url = pg_server.create_database("migrate_race")
    results: list[list[str]] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with psycopg.connect(url) as conn:
                results.append(migrate(conn))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    versions = [m.version for m in migrate_module.available()]
    assert sorted(v for r in results for v in r) == versions


def test_edited_migration_is_refused(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    original = migrate_module.available()
    edited = [Migration(m.version, m.name, m.sql + "\n-- edited") for m in original]
    monkeypatch.setattr(migrate_module, "available", lambda: edited)
    with (
        psycopg.connect(database_url) as conn,
        pytest.raises(MigrationError, match="changed after it was applied"),
    ):
        migrate(conn)


def test_failing_migration_leaves_nothing_behind(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = [
        *migrate_module.available(),
        Migration("9999", "broken", "CREATE TABLE half (a int); SELECT 1/0;"),
    ]
    monkeypatch.setattr(migrate_module, "available", lambda: broken)
    with psycopg.connect(database_url) as conn:
        with pytest.raises(MigrationError, match="9999_broken"):
            migrate(conn)
        assert conn.execute("SELECT to_regclass('half')").fetchone() == (None,)
        assert conn.execute("SELECT count(*) FROM schema_migrations WHERE version = '9999'").fetchone() == (0,)
