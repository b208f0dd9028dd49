"""Upgrades: a database made by any earlier release, migrated by this checkout, has a fresh database's schema.

Each release of deploy/releases.toml is built as it shipped: its own `collector` package (its migrate code
and migration files, from git) runs in a process of its own on a new database. Then this checkout's
migrations run on it, as the collector does at start, and its catalog is compared with a database
migrated from nothing.
"""

from __future__ import annotations

import io
import itertools
import os
import subprocess
import sys
import tarfile
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest

from collector.store.migrate import available, migrate
from devstack.postgres import LocalPostgres
from tests.deploy.catalog import catalog, differences
from tests.deploy.stack import DEPLOY, ROOT

RELEASES: list[dict[str, Any]] = tomllib.loads((DEPLOY / "releases.toml").read_text())["release"]
_names = itertools.count(1)


def git(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, timeout=60, check=False)


def checkout(commit: str, folder: Path) -> Path:
    """That release's Python packages the migrate code needs (`collector`, `protocol`), from git."""
    done = git("archive", "--format=tar", commit, "collector", "protocol")
    assert done.returncode == 0, (
        f"release commit {commit} is not in this clone ({done.stderr.decode().strip()}): "
        "fetch the whole history (git fetch --unshallow) to run the upgrade tests"
    )
    with tarfile.open(fileobj=io.BytesIO(done.stdout)) as archive:
        if hasattr(tarfile, "data_filter"):  # Python 3.11.4 and later (Debian 12's own python3 is 3.11.2)
            archive.extractall(folder, filter="data")
        else:  # our own repository's archive, made just above
            archive.extractall(folder)  # noqa: S202
    return folder


OLD_MIGRATE = """
import sys
import psycopg
from collector.store import migrate
assert migrate.__file__.startswith(sys.argv[2]), migrate.__file__  # the release's code, not ours
with psycopg.connect(sys.argv[1]) as conn:
    print(",".join(migrate.migrate(conn)))
"""


def build_with_release(url: str, code: Path) -> list[str]:
    env = {**os.environ, "PYTHONPATH": str(code), "PYTHONSAFEPATH": "1"}
    done = subprocess.run(
        [sys.executable, "-c", OLD_MIGRATE, url, str(code)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=code,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().split(",")


def test_the_releases_are_main_merges_in_order() -> None:
    versions = [tuple(int(p) for p in r["version"].split(".")) for r in RELEASES]
    assert versions == sorted(versions)
    assert len(set(versions)) == len(versions)
    for earlier, later in itertools.pairwise(RELEASES):
        assert git("merge-base", "--is-ancestor", earlier["commit"], later["commit"]).returncode == 0
    assert git("merge-base", "--is-ancestor", RELEASES[-1]["commit"], "HEAD").returncode == 0


@pytest.mark.parametrize("release", RELEASES, ids=[f"v{r['version']}" for r in RELEASES])
def test_upgrade_from_release_gives_the_fresh_schema(
    release: dict[str, Any], pg_server: LocalPostgres, tmp_path: Path, database_url: str
) -> None:
    old_url = pg_server.create_database(f"upgrade_{next(_names)}")
    shipped = build_with_release(old_url, checkout(release["commit"], tmp_path / "release"))
    assert shipped, "the release applied no migration"

    with psycopg.connect(old_url) as conn:
        upgraded_now = migrate(conn)
    # Every migration once; one numbered below a released one (0011 came after 0050 had shipped) runs late.
    ours = [m.version for m in available()]
    assert sorted(shipped + upgraded_now) == ours

    problems = differences(catalog(old_url), catalog(database_url))
    assert not problems, "\n".join(problems[:40])


def test_the_comparison_sees_a_difference(database_url: str, pg_server: LocalPostgres) -> None:
    """A catalog that missed what migrations make would pass any upgrade: it does not."""
    other = pg_server.create_database(f"upgrade_{next(_names)}", template="mlf_template")
    changes: list[Callable[[psycopg.Connection[Any]], object]] = [
        lambda c: c.execute("ALTER TABLE kiosks ALTER COLUMN clock_skew_ms TYPE integer"),
        lambda c: c.execute("CREATE INDEX extra_idx ON ratings (kiosk_id)"),
        lambda c: c.execute(
            "CREATE OR REPLACE FUNCTION mlf_wilson_low(integer, integer) RETURNS double precision"
            " LANGUAGE sql IMMUTABLE AS 'SELECT 0.0::double precision'"
        ),
    ]
    for change in changes:
        with psycopg.connect(other, autocommit=True) as conn:
            change(conn)
        assert differences(catalog(other), catalog(database_url))
        with psycopg.connect(pg_server.dsn(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{other.rsplit("/", 1)[1]}"'.encode())
        other = pg_server.create_database(f"upgrade_{next(_names)}", template="mlf_template")
    assert not differences(catalog(other), catalog(database_url))
