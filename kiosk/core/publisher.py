"""MQTT v5 publisher of one kiosk: last will, retained `online`, QoS 1 ratings."""

from __future__ import annotations

import logging
import threading
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from kiosk import __version__
from protocol import Status, TopicKind, WireModel, build_topic, encode, spec_for

log = logging.getLogger(__name__)


class Publisher:
    def __init__(self, org: str, kiosk_id: str, host: str, port: int, password: str | None = None) -> None:
        self._org, self._kiosk_id = org, kiosk_id
        self._host, self._port = host, port
        self._connected = threading.Event()
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=kiosk_id, protocol=mqtt.MQTTv5)
        if password is not None:
            client.username_pw_set(kiosk_id, password)
        status = spec_for(TopicKind.STATUS)
        client.will_set(self.topic(TopicKind.STATUS), encode(Status(state="offline")), status.qos, status.retain)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        self._client = client

    def topic(self, kind: TopicKind) -> str:
        return build_topic(self._org, self._kiosk_id, kind)

    def start(self, timeout: float = 10) -> None:
        self._client.connect(self._host, self._port, keepalive=30)
        self._client.loop_start()
        if not self._connected.wait(timeout):
            raise ConnectionError(f"MQTT broker at {self._host}:{self._port} did not accept kiosk {self._kiosk_id}")

    def stop(self) -> None:
        self.publish(TopicKind.STATUS, Status(state="offline")).wait_for_publish(5)
        self._client.disconnect()
        self._client.loop_stop()

    def publish(self, kind: TopicKind, message: WireModel) -> mqtt.MQTTMessageInfo:
        spec = spec_for(kind)
        return self._client.publish(self.topic(kind), encode(message), qos=spec.qos, retain=spec.retain)

    def _on_connect(self, _c: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if reason.is_failure:
            log.error("broker refused kiosk %s: %s", self._kiosk_id, reason)
            return
        self.publish(TopicKind.STATUS, Status(state="online", version=__version__))
        self._connected.set()

    def _on_disconnect(self, _c: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        self._connected.clear()
