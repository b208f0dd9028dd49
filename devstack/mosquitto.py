"""A mosquitto broker in a folder of ours, on a loopback port, run from Debian's binary.

Every broker started here binds each client id to the client's user name (`use_username_as_clientid`),
as the production config does: nobody can take over another client's session (the collector's persistent
one least of all) by connecting with its client id, and a client without a user name is refused. With a
`password_file` the user names are authenticated (the demo); without one (most tests: one test client
speaks for many kiosks) anyone may still claim any user name, so that is for loopback tests only.
"""

from __future__ import annotations

import shlex
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from devstack.processes import give_to, service_user, wait_for_port, which

BASE_CONFIG = """\
listener {port} 127.0.0.1
allow_anonymous {anonymous}
{binding}persistence {persistence}
persistence_location {workdir}/
autosave_interval {autosave}
# The default of 1000 silently drops QoS 1 messages queued for a slow or absent
# persistent subscriber (the collector while it restarts): never lose those.
max_queued_messages 1000000
max_inflight_messages 1000
set_tcp_nodelay true
log_dest file {workdir}/mosquitto.log
log_type error
log_type warning
log_type notice
log_type information
connection_messages true
"""
BINDING = """\
# The client id is the user name: no client can take over another's session (see deploy/mosquitto).
use_username_as_clientid true
"""


@dataclass
class LocalMosquitto:
    workdir: Path
    port: int
    persistence: bool = True
    autosave_interval: int = 1
    anonymous: bool = True
    password_file: Path | None = None
    """With it (and `acl_file`), every client must log in: anonymous access is off."""
    acl_file: Path | None = None
    bind_client_ids: bool = True
    """A listener setting: written under this broker's one listener."""
    extra_config: str = ""
    user: str | None = field(default_factory=service_user)
    process: subprocess.Popen[bytes] | None = None

    @property
    def config_file(self) -> Path:
        return self.workdir / "mosquitto.conf"

    @property
    def logfile(self) -> Path:
        return self.workdir / "mosquitto.log"

    def write_config(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        auth = ""
        if self.password_file is not None:
            auth += f"password_file {self.password_file}\n"
        if self.acl_file is not None:
            auth += f"acl_file {self.acl_file}\n"
        text = BASE_CONFIG.format(
            port=self.port,
            anonymous="true" if self.anonymous and self.password_file is None else "false",
            binding=BINDING if self.bind_client_ids else "",
            persistence="true" if self.persistence else "false",
            workdir=self.workdir,
            autosave=self.autosave_interval,
        )
        self.config_file.write_text(text + auth + self.extra_config)
        give_to(self.workdir, self.user)

    def start(self, timeout: float = 10) -> None:
        self.write_config()
        self.process = subprocess.Popen(
            [which("mosquitto"), "-c", str(self.config_file)],
            user=self.user,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,  # stopped by us, in order, not by a Ctrl-C meant for us
        )
        try:
            wait_for_port(self.port, timeout, "mosquitto")
        except TimeoutError:
            self.process.kill()
            _, err = self.process.communicate()
            raise RuntimeError(f"mosquitto did not start: {err.decode(errors='replace')[-1000:]}") from None

    def reload_command(self) -> str:
        """A command line that makes this broker re-read its files (for `COLLECTOR_BROKER_RELOAD_COMMAND`):
        a SIGHUP as `kill -HUP` sends it, without needing procps on the machine."""
        assert self.process is not None
        code = f"import os, signal; os.kill({self.process.pid}, signal.SIGHUP)"
        return f"{shlex.quote(sys.executable)} -c {shlex.quote(code)}"

    def reload(self) -> None:
        """SIGHUP: re-read password and ACL files."""
        assert self.process is not None
        self.process.send_signal(signal.SIGHUP)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process and self.process.stderr:
            self.process.stderr.close()

    def kill(self) -> None:
        """SIGKILL: a crash, persistence only as of the last autosave."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
