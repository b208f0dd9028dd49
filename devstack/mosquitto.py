"""A mosquitto broker in a folder of ours, on a loopback port, run from Debian's binary."""

from __future__ import annotations

import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from devstack.processes import give_to, service_user, wait_for_port, which

BASE_CONFIG = """\
listener {port} 127.0.0.1
allow_anonymous {anonymous}
persistence {persistence}
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


@dataclass
class LocalMosquitto:
    workdir: Path
    port: int
    persistence: bool = True
    autosave_interval: int = 1
    anonymous: bool = True
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
        text = BASE_CONFIG.format(
            port=self.port,
            anonymous="true" if self.anonymous else "false",
            persistence="true" if self.persistence else "false",
            workdir=self.workdir,
            autosave=self.autosave_interval,
        )
        self.config_file.write_text(text + self.extra_config)
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
