"""The collector's own MQTT connection over TLS, against a real mosquitto with TLS listeners whose
certificates the test makes with deploy/mosquitto/dev-certs.sh (issue 12).

The collector and a kiosk connect over TLS; a wrong CA is refused with one clear line; a plain connection
to the TLS port is refused; a listener that requires client certificates admits the collector with its
certificate and refuses it without.
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from devstack.mosquitto import LocalMosquitto
from devstack.processes import free_port
from firmware_sim.cli import main as sim_main
from tests.fixtures.fix_collector import CollectorProcess, assert_one_clear_line, collector_env, run_collector
from tests.fixtures.fix_mosquitto import named_client

DEV_CERTS = Path(__file__).resolve().parents[2] / "deploy" / "mosquitto" / "dev-certs.sh"


def make_certs(folder: Path, *clients: str) -> Path:
    args = [arg for client in clients for arg in ("--client", client)]
    subprocess.run([str(DEV_CERTS), str(folder), *args], check=True, capture_output=True, timeout=60)
    return folder


@dataclass
class TlsBroker:
    broker: LocalMosquitto
    certs: Path
    tls_port: int
    client_cert_port: int
    """A TLS listener that requires a client certificate signed by the same CA."""


@pytest.fixture
def tls_broker(service_dirs: Callable[[str], Path]) -> Iterator[TlsBroker]:
    workdir = service_dirs("mqtt-tls")
    certs = make_certs(workdir / "certs", "mlf-collector")
    tls_port, client_cert_port = free_port(), free_port()
    files = f"certfile {certs}/server.crt\nkeyfile {certs}/server.key\ncafile {certs}/ca.crt\ntls_version tlsv1.2\n"
    extra = f"listener {tls_port} 127.0.0.1\n{files}"
    extra += f"listener {client_cert_port} 127.0.0.1\n{files}require_certificate true\n"
    broker = LocalMosquitto(workdir, free_port(), extra_config=extra)
    broker.start()
    yield TlsBroker(broker, certs, tls_port, client_cert_port)
    broker.stop()


def tls_env(database_url: str, tls: TlsBroker, port: int, **overrides: str) -> dict[str, str]:
    settings = {
        "COLLECTOR_MQTT_PORT": str(port),
        "COLLECTOR_MQTT_TLS": "true",
        "COLLECTOR_MQTT_CA_FILE": str(tls.certs / "ca.crt"),
    }
    return collector_env(database_url, tls.broker, **(settings | overrides))


def started(env: dict[str, str], tmp_path: Path, database_url: str) -> CollectorProcess:
    from tests.fixtures.fix_api import make_key

    proc = CollectorProcess(env, int(env["COLLECTOR_HTTP_PORT"]), tmp_path / "collector.log")
    proc.token = make_key(database_url, "admin")
    proc.start()
    return proc


def test_the_collector_and_a_kiosk_connect_over_tls(
    tls_broker: TlsBroker, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    collector = started(tls_env(database_url, tls_broker, tls_broker.tls_port), tmp_path, database_url)
    try:
        assert collector.get("/healthz")["broker"]["ok"]
        monkeypatch.setenv("KIOSK_MQTT_TLS", "true")
        monkeypatch.setenv("KIOSK_MQTT_CA_FILE", str(tls_broker.certs / "ca.crt"))
        args = ["--port", str(tls_broker.tls_port), "--org", "tls", "press", "--kiosk", "tls-k1"]
        code = sim_main([*args, "--service-point", "tls-sp", "--count", "5", "--mix", "60:20:20"])
        assert code == 0, "the kiosk's ratings were not all confirmed over TLS"
        summary = collector.get("/v1/service-points/tls-sp/summary?from=2020-01-01&to=2100-01-01")
        assert summary["total"] == 5
    finally:
        collector.stop()


def test_a_wrong_ca_is_refused_with_one_clear_line(
    tls_broker: TlsBroker, database_url: str, service_dirs: Callable[[str], Path]
) -> None:
    other = make_certs(service_dirs("other-ca"))
    env = tls_env(database_url, tls_broker, tls_broker.tls_port, COLLECTOR_MQTT_CA_FILE=str(other / "ca.crt"))
    assert_one_clear_line(run_collector(env), "certificate verify failed", "COLLECTOR_MQTT_CA_FILE")


def test_a_plain_connection_to_the_tls_port_is_refused(tls_broker: TlsBroker, database_url: str) -> None:
    outcome: dict[str, Any] = {}
    done = threading.Event()

    def record(what: str) -> Callable[..., None]:
        def callback(_c: Any, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
            outcome.setdefault(what, reason)
            done.set()

        return callback

    client = named_client("plain-client")
    client.on_connect = record("connack")
    client.on_disconnect = record("closed")
    client.connect("127.0.0.1", tls_broker.tls_port)
    client.loop_start()
    try:
        assert done.wait(10)
    finally:
        client.loop_stop()
    assert "connack" not in outcome, "the TLS listener answered a plain MQTT CONNECT"
    plain = collector_env(database_url, tls_broker.broker, COLLECTOR_MQTT_PORT=str(tls_broker.tls_port))
    assert_one_clear_line(run_collector(plain), "closed the connection without answering", "COLLECTOR_MQTT_TLS=true")


def test_a_listener_requiring_client_certificates_admits_the_collector_with_its_own(
    tls_broker: TlsBroker, database_url: str, tmp_path: Path
) -> None:
    port = tls_broker.client_cert_port
    without = tls_env(database_url, tls_broker, port)
    assert_one_clear_line(run_collector(without), "COLLECTOR_MQTT_CERT_FILE")
    certs = tls_broker.certs
    env = tls_env(
        database_url,
        tls_broker,
        port,
        COLLECTOR_MQTT_CERT_FILE=str(certs / "mlf-collector.crt"),
        COLLECTOR_MQTT_KEY_FILE=str(certs / "mlf-collector.key"),
    )
    collector = started(env, tmp_path, database_url)
    try:
        assert collector.get("/healthz")["broker"]["ok"]
    finally:
        collector.stop()


def test_tls_files_that_cannot_be_used_are_named_at_start(tls_broker: TlsBroker, database_url: str) -> None:
    missing = tls_env(database_url, tls_broker, tls_broker.tls_port, COLLECTOR_MQTT_CA_FILE="/nonexistent/ca.crt")
    assert_one_clear_line(run_collector(missing), "invalid configuration", "/nonexistent/ca.crt")
    half = tls_env(
        database_url,
        tls_broker,
        tls_broker.tls_port,
        COLLECTOR_MQTT_CERT_FILE=str(tls_broker.certs / "mlf-collector.crt"),
    )
    assert_one_clear_line(run_collector(half), "COLLECTOR_MQTT_KEY_FILE")
    no_tls = collector_env(database_url, tls_broker.broker, COLLECTOR_MQTT_CA_FILE=str(tls_broker.certs / "ca.crt"))
    assert_one_clear_line(run_collector(no_tls), "COLLECTOR_MQTT_TLS=true")
