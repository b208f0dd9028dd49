"""The compose stack's broker (compose-entrypoint.sh + compose.conf), run here on a real mosquitto.

Only what a container adds is replaced: the folders (`MLF_MOSQUITTO_ROOT`, `MLF_SECRETS_DIR`) and the
listeners' ports (free loopback ports). The collector's account comes from the secret, kiosk accounts
the collector writes are picked up without a restart, and a kiosk's client id is its user name.
"""

from __future__ import annotations

import os
import signal
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from collector.provisioning.broker_files import KioskAccount, acl_file, mosquitto_hash, password_file, write_atomically
from devstack.processes import free_port, port_is_open, wait_for_port
from tests.deploy.stack import DEPLOY
from tests.waiting import wait_for

COLLECTOR_PASSWORD = "Collector-pass-2026"
KIOSK_PASSWORD = "Kiosk-pass-roma-k1"


@dataclass
class Broker:
    root: Path
    secrets: Path
    plain_port: int
    tls_port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def log(self) -> Path:
        return self.secrets.parent / f"{self.root.name}.log"

    def start(self) -> subprocess.Popen[bytes]:
        env = {**os.environ, "MLF_MOSQUITTO_ROOT": str(self.root), "MLF_SECRETS_DIR": str(self.secrets)}
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                ["sh", str(DEPLOY / "mosquitto" / "compose-entrypoint.sh")],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self.process

    def stop(self) -> str:
        if self.process is None:
            return ""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        return self.log.read_text(errors="replace")


@pytest.fixture
def broker_dirs(service_dirs: Callable[[str], Path]) -> Broker:
    root, secrets = service_dirs("compose-mosquitto"), service_dirs("compose-secrets")
    plain, tls = free_port(), free_port()
    (root / "config").mkdir()
    conf = (DEPLOY / "mosquitto" / "compose.conf").read_text()
    conf = conf.replace("/mosquitto/", f"{root}/")
    conf = conf.replace("listener 8883\n", f"listener {tls} 127.0.0.1\n")
    conf = conf.replace("listener 1883\n", f"listener {plain} 127.0.0.1\n")
    (root / "config" / "mosquitto.conf").write_text(conf)
    (secrets / "mqtt_collector_password").write_text(COLLECTOR_PASSWORD + "\n")
    # The development CA of deploy/mosquitto/dev-certs.sh, as deploy/README.md makes it for the stack.
    certs = secrets.parent / f"{secrets.name}-certs"
    subprocess.run(
        ["sh", str(DEPLOY / "mosquitto" / "dev-certs.sh"), str(certs), "--host", "mosquitto"],
        check=True,
        capture_output=True,
    )
    for name, secret in (("server.crt", "mqtt_tls_cert"), ("server.key", "mqtt_tls_key"), ("ca.crt", "mqtt_ca")):
        (secrets / secret).write_bytes((certs / name).read_bytes())
    return Broker(root, secrets, plain, tls)


@pytest.fixture
def broker(broker_dirs: Broker) -> Iterator[Broker]:
    broker_dirs.start()
    wait_for_port(broker_dirs.plain_port, 15, "compose mosquitto")
    wait_for_port(broker_dirs.tls_port, 15, "compose mosquitto (TLS)")
    yield broker_dirs
    broker_dirs.stop()


@dataclass
class Session:
    client: mqtt.Client
    connected: threading.Event
    disconnected: threading.Event
    refused: list[Any]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
        # Closes paho's sockets now; left to the garbage collector, a client in a reference cycle may
        # have its sockets finalised before it closes them (a ResourceWarning, an error under pytest).
        self.client.reinitialise()


def connect(broker: Broker, user: str, password: str, client_id: str, tls: bool) -> Session:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    client.username_pw_set(user, password)
    if tls:
        client.tls_set(ca_certs=str(broker.secrets / "mqtt_ca"), cert_reqs=ssl.CERT_REQUIRED)
    session = Session(client, threading.Event(), threading.Event(), [])

    def on_connect(_c: Any, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if reason.is_failure:
            session.refused.append(reason)
        else:
            session.connected.set()

    client.on_connect = on_connect
    client.on_disconnect = lambda *_: session.disconnected.set()
    client.reconnect_delay_set(30, 30)  # never reconnect within a test: a takeover must stay visible
    client.connect("127.0.0.1", broker.tls_port if tls else broker.plain_port)
    client.loop_start()
    return session


def takes_over(broker: Broker, victim: Session, user: str, password: str, client_id: str, tls: bool) -> bool:
    """Whether `user` connecting as `client_id` cuts `victim` off (it waits 2 s when it does not)."""
    other = connect(broker, user, password, client_id, tls)
    try:
        assert other.connected.wait(5), other.refused
        return victim.disconnected.wait(2 if user != victim.client.username else 5)
    finally:
        other.close()


def can_connect(broker: Broker, user: str, password: str, tls: bool) -> bool:
    session = connect(broker, user, password, f"probe-{user}", tls)
    try:
        wait_for(lambda: session.connected.is_set() or session.refused, timeout=5)
        return session.connected.is_set()
    finally:
        session.close()


def test_the_collector_account_comes_from_the_secret(broker: Broker) -> None:
    assert can_connect(broker, "mlf-collector", COLLECTOR_PASSWORD, tls=False)
    assert not can_connect(broker, "mlf-collector", "wrong", tls=False)
    assert not can_connect(broker, "anybody", "", tls=False)
    static = (broker.root / "auth" / "static-passwords").read_text()
    assert static.startswith("mlf-collector:$7$")
    assert COLLECTOR_PASSWORD not in static


def test_kiosk_accounts_written_by_the_collector_work_without_a_restart(broker: Broker) -> None:
    auth = broker.root / "auth"
    assert not can_connect(broker, "roma-k1", KIOSK_PASSWORD, tls=True)
    account = KioskAccount("roma-k1", "roma", mosquitto_hash(KIOSK_PASSWORD))
    # What the collector does (collector/provisioning): both files whole, renamed over the old ones.
    write_atomically(auth / "passwd", password_file([account], (auth / "static-passwords").read_text()))
    write_atomically(auth / "acl", acl_file([account], "mlf-collector"))
    assert wait_for(lambda: can_connect(broker, "roma-k1", KIOSK_PASSWORD, tls=True), timeout=15)
    assert can_connect(broker, "mlf-collector", COLLECTOR_PASSWORD, tls=False)


def test_a_kiosk_cannot_take_another_session_by_its_client_id(broker: Broker) -> None:
    auth = broker.root / "auth"
    accounts = [KioskAccount(k, "roma", mosquitto_hash(KIOSK_PASSWORD)) for k in ("roma-k1", "roma-k2")]
    write_atomically(auth / "passwd", password_file(accounts, (auth / "static-passwords").read_text()))
    assert wait_for(lambda: can_connect(broker, "roma-k2", KIOSK_PASSWORD, tls=True), timeout=15)
    # roma-k2 is connected; roma-k1 connects claiming roma-k2's client id. The broker replaces the
    # client id by the user name, so roma-k2's session stays where it is.
    victim = connect(broker, "roma-k2", KIOSK_PASSWORD, "roma-k2", tls=True)
    try:
        assert victim.connected.wait(5)
        assert not takes_over(broker, victim, "roma-k1", KIOSK_PASSWORD, "roma-k2", tls=True), "a kiosk took over"
        # Nor anyone the collector's persistent session, on its own listener.
        collector = connect(broker, "mlf-collector", COLLECTOR_PASSWORD, "whatever-id", tls=False)
        assert collector.connected.wait(5)
        assert not takes_over(broker, collector, "roma-k1", KIOSK_PASSWORD, "mlf-collector", tls=False)
        collector.close()
        # The binding is what protected them: the same user again does take its own session over.
        assert takes_over(broker, victim, "roma-k2", KIOSK_PASSWORD, "another-id", tls=True), "id is not user name"
    finally:
        victim.close()


def test_sigterm_stops_the_broker_and_the_watcher(broker: Broker) -> None:
    assert broker.process is not None
    broker.process.send_signal(signal.SIGTERM)
    assert broker.process.wait(15) == 0
    assert not port_is_open(broker.plain_port)
    assert not port_is_open(broker.tls_port)


def test_a_placeholder_collector_password_is_refused(broker_dirs: Broker) -> None:
    (broker_dirs.secrets / "mqtt_collector_password").write_text("CHANGE_ME\n")
    process = broker_dirs.start()
    assert process.wait(15) == 1
    assert "placeholder" in broker_dirs.stop()
