"""The test PostgreSQL's two paths: a session's own server (the default), and one server shared by many
sessions through `MLF_TEST_PG_SERVER` (the mutation run's forked pytest sessions)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from collector.store.migrate import migrate
from devstack.postgres import LocalPostgres
from tests.fixtures.pg_shared import SHARED, TEMPLATE, SharedPostgres

ROOT = Path(__file__).resolve().parents[1]

PROBE = """
import json, os
from pathlib import Path

from tests.fixtures.pg_shared import SharedPostgres


def test_probe(pg_server, database_url):
    assert isinstance(pg_server, SharedPostgres)
    Path(os.environ["PROBE_OUT"]).write_text(json.dumps({"url": database_url, "made": pg_server.made}))
"""


def databases(server: LocalPostgres) -> set[str]:
    with psycopg.connect(server.dsn(), autocommit=True) as conn:
        return {name for (name,) in conn.execute("SELECT datname FROM pg_database")}


def test_without_the_variable_a_session_starts_its_own_server(
    pg_server: LocalPostgres, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if os.environ.get(SHARED):
        pytest.skip(f"this session runs on a shared server ({SHARED})")
    monkeypatch.delenv(SHARED, raising=False)
    assert SharedPostgres.from_env() is None
    assert type(pg_server) is LocalPostgres
    assert (pg_server.datadir / "postmaster.pid").exists()
    with psycopg.connect(database_url, autocommit=True) as conn:
        assert migrate(conn) == []


def test_sessions_on_a_shared_server_get_migrated_databases_of_their_own(
    pg_server: LocalPostgres, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SHARED, str(pg_server.datadir))
    one, other = SharedPostgres.from_env(), SharedPostgres.from_env()
    assert one is not None
    assert other is not None
    assert one.port == other.port == pg_server.port
    first, second = one.create_database("same_name", TEMPLATE), other.create_database("same_name", TEMPLATE)
    assert first != second
    for url in (first, second):
        with psycopg.connect(url, autocommit=True) as conn:
            assert migrate(conn) == []
    with psycopg.connect(first, autocommit=True) as held:  # a connection left open does not keep it alive
        one.drop_databases()
        with pytest.raises(psycopg.OperationalError):
            held.execute("SELECT 1")
    assert one.made == []
    assert not {n for n in databases(pg_server) if n.startswith(one.prefix)}
    assert any(n.startswith(other.prefix) for n in databases(pg_server))
    other.drop_databases()
    with pytest.raises(RuntimeError, match="serves other sessions"):
        one.stop()
    assert TEMPLATE in databases(pg_server)


def test_a_shared_server_that_does_not_run_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SHARED, str(tmp_path))
    with pytest.raises(RuntimeError, match="no server runs there"):
        SharedPostgres.from_env()


def test_a_pytest_session_reuses_the_server_it_is_given(pg_server: LocalPostgres, tmp_path: Path) -> None:
    """What the mutation run does: a whole pytest session on the server named in the variable, which stays
    up after it, with the session's databases gone."""
    probe = tmp_path / "test_probe.py"
    probe.write_text(PROBE)
    out = tmp_path / "probe.json"
    env = {**os.environ, SHARED: str(pg_server.datadir), "PROBE_OUT": str(out)}
    plugins = ["-p", "tests.fixtures.fix_dirs", "-p", "tests.fixtures.fix_postgres"]
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *plugins, f"--rootdir={tmp_path}", str(probe)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    seen = json.loads(out.read_text())
    assert seen["url"].startswith(pg_server.dsn("s"))  # a database of its own, on this server
    assert seen["made"]
    assert not set(seen["made"]) & databases(pg_server)
