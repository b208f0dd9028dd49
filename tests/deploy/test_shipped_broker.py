"""The production broker files as Debian reads them: /etc/mosquitto/mosquitto.conf includes conf.d, where
kiosk-auth.conf and mosquitto.conf (as mlf.conf) sit, read in name order. Only paths and ports are moved.

mosquitto 2.0 applies `use_username_as_clientid` per listener: written in a general section it is silently
ignored, and a kiosk could take over another's connection. This runs the shipped lines for real (it also
found that a second `persistence_location`, beside Debian's, stops mosquitto from starting).
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from collector.provisioning.broker_files import KioskAccount, acl_file, mosquitto_hash, password_file
from devstack.processes import free_port, give_to, service_user, wait_for_port, which
from tests.deploy.stack import DEPLOY
from tests.deploy.test_broker_entrypoint import Broker, connect, takes_over

PASSWORD = "Kiosk-pass-shipped-1"
DEBIAN_MAIN = """\
pid_file {root}/mosquitto.pid
persistence true
persistence_location {root}/data/
log_dest file {root}/mosquitto.log
include_dir {root}/conf.d
"""


def shipped(name: str, root: Path, plain: int, tls: int) -> str:
    text = (DEPLOY / "mosquitto" / name).read_text()
    text = text.replace("/etc/mosquitto/mlf/", f"{root}/mlf/").replace("/etc/mosquitto/certs/", f"{root}/certs/")
    text = text.replace("log_dest syslog", "log_dest stderr")
    text = re.sub(r"^listener 8883$", f"listener {tls} 127.0.0.1", text, flags=re.M)
    return re.sub(r"^listener 1883 127\.0\.0\.1$", f"listener {plain} 127.0.0.1", text, flags=re.M)


@pytest.fixture
def debian_broker(service_dirs: Callable[[str], Path]) -> Iterator[Broker]:
    root = service_dirs("shipped-mosquitto")
    plain, tls = free_port(), free_port()
    for folder in ("conf.d", "mlf", "data", "certs", "secrets"):
        (root / folder).mkdir()
    (root / "mosquitto.conf").write_text(DEBIAN_MAIN.format(root=root))
    (root / "conf.d" / "kiosk-auth.conf").write_text(shipped("kiosk-auth.conf", root, plain, tls))
    (root / "conf.d" / "mlf.conf").write_text(shipped("mosquitto.conf", root, plain, tls))
    accounts = [KioskAccount(k, "roma", mosquitto_hash(PASSWORD)) for k in ("roma-k1", "roma-k2")]
    (root / "mlf" / "passwd").write_text(password_file(accounts, f"mlf-collector:{mosquitto_hash(PASSWORD)}\n"))
    (root / "mlf" / "acl").write_text(acl_file(accounts, "mlf-collector"))
    subprocess.run(
        ["sh", str(DEPLOY / "mosquitto" / "dev-certs.sh"), str(root / "certs")], check=True, capture_output=True
    )
    (root / "secrets" / "mqtt_ca").write_bytes((root / "certs" / "ca.crt").read_bytes())
    user = service_user()
    give_to(root, user)
    process = subprocess.Popen([which("mosquitto"), "-c", str(root / "mosquitto.conf")], user=user,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)  # fmt: skip
    try:
        wait_for_port(plain, 15, "mosquitto (shipped config)")
        wait_for_port(tls, 15, "mosquitto (shipped config, TLS)")
        yield Broker(root, root / "secrets", plain, tls)
    finally:
        process.terminate()
        process.wait(10)
        assert process.stderr is not None
        process.stderr.close()


@pytest.mark.parametrize("tls", [True, False], ids=["kiosks-tls-listener", "collector-listener"])
def test_every_shipped_listener_binds_client_ids_to_user_names(debian_broker: Broker, tls: bool) -> None:
    victim = connect(debian_broker, "roma-k2", PASSWORD, "roma-k2", tls=tls)
    try:
        assert victim.connected.wait(5), victim.refused
        assert not takes_over(debian_broker, victim, "roma-k1", PASSWORD, "roma-k2", tls=tls), "a kiosk took over"
        # The binding is what protected it: the same user under another id does replace its own session.
        assert takes_over(debian_broker, victim, "roma-k2", PASSWORD, "another-id", tls=tls), "id is not user name"
    finally:
        victim.close()
