"""Checks run before serving, so a bad setting is one clear line instead of a traceback."""

from __future__ import annotations

import threading
from typing import Any

import paho.mqtt.client as mqtt
import psycopg
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from psycopg.conninfo import conninfo_to_dict
from pydantic import ValidationError

from collector.config import CollectorSettings
from collector.ingest.mqtt_client import UntestedPaho, fast_path_wanted
from collector.ingest.mqtt_tls import describe_failure


class PreflightError(RuntimeError):
    pass


def describe_settings_error(exc: ValidationError, prefix: str = "COLLECTOR_") -> str:
    """`COLLECTOR_MQTT_PORT: Input should be less than or equal to 65535` (one line per problem)."""
    lines = []
    for error in exc.errors(include_url=False):
        message = str(error["msg"]).removeprefix("Value error, ")
        lines.append(f"{prefix}{str(error['loc'][0]).upper()}: {message}" if error["loc"] else message)
    return "; ".join(lines)


def _where(conninfo: str) -> str:
    parts = conninfo_to_dict(conninfo)
    return f"{parts.get('host', 'localhost')}:{parts.get('port', 5432)}/{parts.get('dbname', '')}"


def check_database(conninfo: str, timeout: int = 5) -> None:
    try:
        with psycopg.connect(conninfo, connect_timeout=timeout) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        first = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise PreflightError(f"cannot connect to the database at {_where(conninfo)}: {first}") from None


def check_broker(settings: CollectorSettings, timeout: float = 5) -> None:
    """Open and close one MQTT v5 connection as the collector. Brokers bind the client id to the user name,
    so this *is* the collector's session: resumed (never a clean start, which would wipe what is queued for
    us), with the same expiry, at most one message let in (Receive Maximum 1) and none acknowledged, so the
    broker delivers it again to the collector proper."""
    try:
        fast_path_wanted(settings.mqtt_fast_path)
    except UntestedPaho as exc:
        raise PreflightError(str(exc)) from None
    where = f"{settings.mqtt_host}:{settings.mqtt_port}"
    outcome: dict[str, Any] = {}
    done = threading.Event()
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2, client_id=settings.mqtt_identity, protocol=mqtt.MQTTv5, manual_ack=True
    )
    client.username_pw_set(*settings.mqtt_login())
    if (tls := settings.mqtt_tls_context()) is not None:
        client.tls_set_context(tls)

    def on_connect(_c: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        outcome["reason"] = reason
        done.set()

    def on_disconnect(_c: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        outcome.setdefault("closed", reason)
        done.set()

    client.on_connect = on_connect
    client.on_disconnect = on_disconnect
    props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
    props.SessionExpiryInterval = settings.mqtt_session_expiry_s
    props.ReceiveMaximum = 1
    try:
        client.connect(settings.mqtt_host, settings.mqtt_port, keepalive=10, clean_start=False, properties=props)
    except OSError as exc:
        raise PreflightError(describe_failure(exc, where)) from None
    client.loop_start()
    try:
        if not done.wait(timeout):
            raise PreflightError(f"the MQTT broker at {where} did not answer within {timeout:.0f} s")
        if "reason" not in outcome:
            if not settings.mqtt_tls:
                hint = " (a TLS listener? then set COLLECTOR_MQTT_TLS=true)"
            elif settings.mqtt_cert_file is None:
                hint = " (a listener that requires a client certificate? see COLLECTOR_MQTT_CERT_FILE)"
            else:
                hint = " (was the client certificate signed by the CA the broker trusts?)"
            raise PreflightError(f"the MQTT broker at {where} closed the connection without answering{hint}")
        if outcome["reason"].is_failure:
            raise PreflightError(f"the MQTT broker at {where} refused the collector: {outcome['reason']}")
    finally:
        client.disconnect()
        client.loop_stop()
