"""deploy/backup's scripts as the systemd units and deploy/compose.yaml run them: the paths agree."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.collector.test_deploy_files import one, unit
from tests.deploy.stack import DEPLOY, resolved

BACKUP = DEPLOY / "backup"


@pytest.mark.parametrize("script", sorted(p.name for p in BACKUP.glob("*.sh")))
def test_scripts_are_posix_sh_and_executable(script: str) -> None:
    """The database image has only busybox's sh: no bash in them."""
    path = BACKUP / script
    assert path.read_text().startswith("#!/bin/sh\n")
    assert path.stat().st_mode & 0o111 == 0o111
    dash = shutil.which("dash")
    assert dash, "dash is part of every Debian system"
    done = subprocess.run([dash, "-n", str(path)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(("name", "script"), [("mlf-db-dump", "db-dump.sh"), ("mlf-base-backup", "base-backup.sh")])
def test_units_run_the_installed_scripts_as_the_database_user_nightly_or_weekly(name: str, script: str) -> None:
    service = unit(f"{name}.service")["Service"]
    command = one(service["ExecStart"]).split()
    assert command[0] == f"/usr/local/lib/mlf-backup/{script}"
    assert (BACKUP / script).is_file()
    assert all(arg.startswith("/var/backups/mlf/") for arg in command[1:])
    assert one(service["User"]) == "postgres"
    assert one(service["Type"]) == "oneshot"
    assert one(service["ReadWritePaths"]) == "/var/backups/mlf"
    timer = unit(f"{name}.timer")["Timer"]
    assert one(timer["Persistent"]) == "true"
    assert re.fullmatch(r"(Sun )?\*-\*-\* 0[0-5]:\d\d:00", one(timer["OnCalendar"]))
    archive = (BACKUP / "postgresql-archive.conf").read_text()
    if script == "base-backup.sh":
        assert command[2] == "/var/backups/mlf/wal"
        assert f"{command[2]}'" in archive, "the base backup prunes the archive the server writes"


def test_compose_database_archives_its_wal_with_the_mounted_scripts() -> None:
    db = resolved()["services"]["timescaledb"]
    mounts = {v.split(":")[1]: v.split(":")[0] for v in db["volumes"]}
    assert Path(mounts["/mlf/backup"]) == BACKUP
    assert mounts["/backups"] == "backups", "a volume of its own by default (MLF_BACKUP_DIR moves it)"
    assert db["entrypoint"] == ["/bin/sh", "/mlf/backup/compose-db-entrypoint.sh"]
    settings = dict(arg.split("=", 1) for arg in db["command"][1:] if arg != "-c")
    assert settings["archive_mode"] == "on"
    script, *args = settings["archive_command"].split()
    assert (BACKUP / Path(script).relative_to("/mlf/backup")).is_file()
    assert args == ["%p", "%f", "/backups/wal"]
    assert settings["archive_timeout"] == "60"
    assert settings["timescaledb.telemetry_level"] == "off"
    entrypoint = (BACKUP / "compose-db-entrypoint.sh").read_text()
    assert "/backups/wal" in entrypoint
    assert 'exec docker-entrypoint.sh "$@"' in entrypoint
