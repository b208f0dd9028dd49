"""A PostgreSQL cluster in a folder of ours, on a loopback port, run from Debian's binaries."""

from __future__ import annotations

import glob
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from devstack.processes import give_to, service_user, which

SUPERUSER = "mlf"


def pg_bindir() -> Path:
    """Newest installed server, or `MLF_PG_BINDIR`."""
    if env := os.environ.get("MLF_PG_BINDIR"):
        return Path(env)
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if not found:
        raise FileNotFoundError("no PostgreSQL server under /usr/lib/postgresql (run scripts/bootstrap.sh)")
    return Path(found[-1]).parent


@dataclass
class LocalPostgres:
    """`durable=False` turns fsync off: for throwaway test clusters only."""

    datadir: Path
    port: int
    durable: bool = True
    settings: dict[str, str] = field(default_factory=dict)
    user: str | None = field(default_factory=service_user)

    @property
    def logfile(self) -> Path:
        return self.datadir.parent / f"{self.datadir.name}.log"

    def dsn(self, dbname: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{dbname}"

    def _run(self, program: str, *args: str) -> None:
        cmd = [which(program, pg_bindir()), *args]
        # A session of its own: a Ctrl-C meant for us must not stop the server under us; we stop it in order.
        done = subprocess.run(cmd, user=self.user, capture_output=True, text=True, check=False, start_new_session=True)
        if done.returncode != 0:
            raise RuntimeError(f"{program} failed ({done.returncode}): {(done.stderr or done.stdout).strip()[-2000:]}")

    def init(self) -> None:
        """Create the cluster unless it exists (trust auth: it only listens on loopback)."""
        if (self.datadir / "PG_VERSION").exists():
            return
        self.datadir.mkdir(parents=True, exist_ok=True)
        self.datadir.chmod(0o700)
        give_to(self.datadir, self.user)
        self._run(
            "initdb",
            "-D",
            str(self.datadir),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-instructions",
        )

    def start(self) -> None:
        self.logfile.touch()
        give_to(self.logfile, self.user)
        options = {
            "port": str(self.port),
            "listen_addresses": "127.0.0.1",
            "unix_socket_directories": "",
            "timezone": "UTC",
            "max_connections": "200",
            **({} if self.durable else {"fsync": "off", "full_page_writes": "off"}),
            **self.settings,
        }
        opts = " ".join(f"-c {k}={v}" if v else f"-c {k}=''" for k, v in options.items())
        self._run("pg_ctl", "-D", str(self.datadir), "-l", str(self.logfile), "-o", opts, "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        """`mode='immediate'` is a crash: no checkpoint, recovery at the next start."""
        if (self.datadir / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.datadir), "-m", mode, "-w", "-t", "60", "stop")

    def stop_if_running(self) -> None:
        """Stop a server left behind by an earlier run that was killed."""
        if (self.datadir / "postmaster.pid").exists():
            cmd = [which("pg_ctl", pg_bindir()), "-D", str(self.datadir), "status"]
            if subprocess.run(cmd, user=self.user, capture_output=True, check=False).returncode == 0:
                self.stop()

    def ensure_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
                conn.execute(f'CREATE DATABASE "{name}"'.encode())
        return self.dsn(name)

    def create_database(self, name: str, template: str | None = None) -> str:
        import psycopg

        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            query = f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")
            conn.execute(query.encode())
        return self.dsn(name)
