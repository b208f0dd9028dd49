"""The scripts deploy/compose.yaml runs, run here against a real PostgreSQL: Grafana's role, the sim fleet."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import subprocess
import sys
from pathlib import Path

import psycopg
from psycopg.conninfo import make_conninfo

from collector.provisioning.broker_files import mosquitto_hash
from collector.store.migrate import migrate
from devstack.postgres import LocalPostgres, pg_bindir
from tests.deploy.stack import DEPLOY, ROOT

ROLE_SQL = DEPLOY / "grafana" / "grafana-role.sql"


def tables(sql: str) -> list[str]:
    granted = re.search(r"GRANT SELECT ON (.+?) TO mlf_grafana", sql, re.DOTALL)
    assert granted
    return sorted(t.strip() for t in granted.group(1).split(","))


def scram_matches(verifier: str, password: str) -> bool:
    """Whether PostgreSQL's stored SCRAM-SHA-256 verifier is that of `password` (RFC 5802)."""
    method, params, keys = verifier.split("$")
    iterations, salt = params.split(":")
    stored_key, server_key = keys.split(":")
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(salt), int(iterations))
    client = hmac.new(salted, b"Client Key", "sha256").digest()
    server = hmac.new(salted, b"Server Key", "sha256").digest()
    return method == "SCRAM-SHA-256" and (
        base64.b64encode(hashlib.sha256(client).digest()).decode(),
        base64.b64encode(server).decode(),
    ) == (stored_key, server_key)


def run_psql(database_url: str, password_file: Path) -> subprocess.CompletedProcess[str]:
    psql = str(pg_bindir() / "psql")
    return subprocess.run(
        [psql, database_url, "-q", "-v", f"password_file={password_file}", "-f", str(ROLE_SQL)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_grafana_role_is_the_readmes_and_takes_its_password_from_the_secret(
    own_postgres: LocalPostgres, tmp_path: Path
) -> None:
    """On a cluster of its own: roles are cluster-wide, and the dashboards' tests make this one too."""
    database_url = own_postgres.create_database("mlf")
    with psycopg.connect(database_url) as conn:
        migrate(conn)
    readme = (ROOT / "dashboards" / "README.md").read_text()
    assert tables(ROLE_SQL.read_text()) == tables(readme)

    secret = tmp_path / "mlf_grafana_db_password"
    secret.write_text("It's-a-secret 'quoted' $1\n")
    for _ in range(2):  # the db-grants service runs at every `up`: the second run must succeed too
        done = run_psql(database_url, secret)
        assert done.returncode == 0, done.stderr
    with psycopg.connect(database_url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT rolcanlogin, rolsuper, rolpassword FROM pg_authid WHERE rolname = 'mlf_grafana'"
        ).fetchone()
        assert row is not None
        can_login, superuser, stored = row
        assert can_login
        assert not superuser
        assert scram_matches(str(stored), "It's-a-secret 'quoted' $1")  # the file's, without its newline
        assert conn.execute("SHOW jit").fetchone() == ("on",)  # the server's default, for everyone else
    with psycopg.connect(make_conninfo(database_url, user="mlf_grafana")) as grafana:  # loopback is trusted
        assert grafana.execute("SHOW jit").fetchone() == ("off",)  # Grafana's sessions: JIT off (docs/scaling.md)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("SET ROLE mlf_grafana")
        conn.execute("SELECT count(*) FROM rollup_daily")
        try:
            conn.execute("SELECT count(*) FROM api_keys")
            raise AssertionError("Grafana's role may read API keys")
        except psycopg.errors.InsufficientPrivilege:
            pass


def test_a_missing_or_placeholder_password_stops_the_grants(database_url: str, tmp_path: Path) -> None:
    (tmp_path / "placeholder").write_text("CHANGE_ME\n")
    for path in (tmp_path / "missing", tmp_path / "placeholder"):
        done = run_psql(database_url, path)
        assert done.returncode != 0
        assert "missing, empty or a placeholder" in done.stderr


def enrol(database_url: str, password_file: Path, kiosks: int) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COLLECTOR_")}
    env["COLLECTOR_DATABASE_URL"] = database_url
    return subprocess.run(
        [
            sys.executable,
            str(DEPLOY / "sim" / "enrol_sim_fleet.py"),
            "--kiosks",
            str(kiosks),
            "--password-file",
            str(password_file),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_sim_fleet_is_enrolled_with_the_shared_password_and_again_without_harm(
    database_url: str, tmp_path: Path
) -> None:
    secret = tmp_path / "mqtt_sim_password"
    secret.write_text("Sim-fleet-password-2026\n")
    first = enrol(database_url, secret, 4)
    assert first.returncode == 0, first.stderr
    assert "4 simulated kiosk(s) of 'sim' enrolled (4 new)" in first.stdout
    again = enrol(database_url, secret, 5)
    assert again.returncode == 0, again.stderr
    assert "(1 new)" in again.stdout
    with psycopg.connect(database_url) as conn:
        kiosks = conn.execute(
            "SELECT k.id, k.service_point_id, c.password_hash FROM kiosks k"
            " JOIN kiosk_credentials c ON c.kiosk_id = k.id WHERE k.org_id = 'sim' ORDER BY k.id"
        ).fetchall()
    # The ids mlf-sim's fleet uses (firmware_sim.citizens.demo_fleet), each with the file's password.
    assert [(k, sp) for k, sp, _ in kiosks] == [(f"sim-k{i}", f"sim-sportello-{i}") for i in range(1, 6)]
    for _, _, stored in kiosks:
        _, _, iterations, salt, _ = str(stored).split("$")
        assert mosquitto_hash("Sim-fleet-password-2026", base64.b64decode(salt), int(iterations)) == stored


def test_sim_enrolment_refuses_a_placeholder(database_url: str, tmp_path: Path) -> None:
    secret = tmp_path / "mqtt_sim_password"
    secret.write_text("changeme\n")
    done = enrol(database_url, secret, 2)
    assert done.returncode == 2
    assert "placeholder" in done.stderr
