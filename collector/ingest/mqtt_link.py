"""The collector's MQTT connection, as the pipeline's transport: persistent MQTT v5 session, manual acks,
reconnects, back-pressure.

paho calls us on its network thread; we only hand each message on there. The PUBACK for a message
is sent by `ack()` once the message is committed to the database, so a collector that dies before the
commit gets the message again on reconnect.

Two clients can do it: the fast path of `collector.ingest.mqtt_client` (which reaches into paho's internals),
or paho's own client through its public API only (`COLLECTOR_MQTT_FAST_PATH`, see `fast_path_wanted`).
They differ in speed and in how reading pauses; the MQTT behaviour is paho's in both.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from collector.config import CollectorSettings
from collector.ingest.messages import Inbound
from collector.ingest.mqtt_client import BatchingClient, fast_path_wanted
from collector.ingest.mqtt_tls import describe_failure
from collector.ingest.transport import Receive, publish_each
from protocol import TopicKind, subscription

log = logging.getLogger(__name__)

SUBSCRIBED_KINDS = (TopicKind.RATING, TopicKind.HEARTBEAT, TopicKind.STATUS)
PAUSE_CHECK_S = 0.5
"""How often paho's own client, held in our callback while reading is paused, looks whether we stop."""


def receive_maximum(batch_max: int, writers: int) -> int:
    """Unacknowledged QoS 1 messages the broker may have in flight to us (MQTT v5 Receive Maximum): a
    full batch for every writer and one more being filled, so receiving never waits for a commit and a
    backlog drains in full batches (fewer rollup and kiosk rows per rating). Bounds memory, too."""
    return min(65535, batch_max * (writers + 1))


class MqttLink:
    def __init__(self, settings: CollectorSettings) -> None:
        self._settings = settings
        self._receive: Receive | None = None
        self._connected = threading.Event()
        self._subscribed = threading.Event()
        self._reading = threading.Event()
        self._reading.set()
        self._stopping = False
        self._generation = 0
        self._last_error: str | None = None
        self.fast_path = fast_path_wanted(settings.mqtt_fast_path)
        kind = BatchingClient if self.fast_path else mqtt.Client
        client = kind(
            CallbackAPIVersion.VERSION2, client_id=settings.mqtt_identity, protocol=mqtt.MQTTv5, manual_ack=True
        )
        client.username_pw_set(*settings.mqtt_login())
        if (tls := settings.mqtt_tls_context()) is not None:
            client.tls_set_context(tls)
        client.reconnect_delay_set(min_delay=1, max_delay=30)
        # Our QoS 1 publishes (a watermark for nearly every rating) may all await the broker's PUBACK at once.
        # paho's default, 20, cannot keep up with a large fleet: its queue grew to 65,535 watermarks, which
        # it then refused, and on every PUBACK it walked that queue. Unbounded, paho sends at once and never
        # walks it; its packet ids (65,535) are the bound (mosquitto takes QoS 1 publishes past the Receive Maximum
        # it announces: see `_handle_connect`).
        client.max_inflight_messages_set(0)
        client.on_connect = self._handle_connect
        client.on_disconnect = self._handle_disconnect
        client.on_message = self._handle_message
        client.on_subscribe = self._handle_subscribe
        if isinstance(client, BatchingClient):
            client.on_qos1_message = self._handle_qos1
            client.pause_reading = lambda: not self._reading.is_set()
        self._client = client

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    @property
    def last_error(self) -> str | None:
        return self._last_error

    def start(self, receive: Receive, timeout: float = 10) -> None:
        """Connect (raising `ConnectionError` with one clear line if we cannot) and start the network thread."""
        self._receive = receive
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = self._settings.mqtt_session_expiry_s
        props.ReceiveMaximum = receive_maximum(self._settings.batch_max, self._settings.writers)
        where = f"{self._settings.mqtt_host}:{self._settings.mqtt_port}"
        try:
            self._client.connect(
                self._settings.mqtt_host,
                self._settings.mqtt_port,
                keepalive=30,
                clean_start=False,
                properties=props,
            )
        except OSError as exc:
            raise ConnectionError(describe_failure(exc, where)) from None
        self._client.loop_start()
        if not self._subscribed.wait(timeout):  # from here on, nothing published to us is missed
            self._client.disconnect()
            self._client.loop_stop()
            detail = self._last_error or "no answer"
            raise ConnectionError(f"MQTT broker at {where} refused the collector: {detail}")

    def stop(self) -> None:
        self._stopping = True
        self._reading.set()  # let go of paho's thread if our callback holds it
        self._client.disconnect()
        self._client.loop_stop()

    def ack(self, messages: Iterable[Inbound]) -> None:
        """PUBACK stored messages, except those that came on an earlier connection: the broker resends
        those (with our session), and their packet ids may already name other messages."""
        if not self.connected:
            return
        generation = self._generation
        mids = [m.mid for m in messages if m.qos == 1 and m.generation == generation]
        if isinstance(self._client, BatchingClient):
            self._client.ack_many(mids)  # one write for the batch
        else:
            for mid in mids:
                self._client.ack(mid, 1)

    def publish(self, topic: str, payload: bytes, qos: int, retain: bool) -> bool:
        """paho queues a QoS 1 message while disconnected (sent on reconnect); it refuses one only when all
        65,535 packet ids are taken by messages awaiting their PUBACK."""
        info = self._client.publish(topic, payload, qos=qos, retain=retain)
        return info.rc != MQTTErrorCode.MQTT_ERR_QUEUE_SIZE

    def publish_many(self, messages: list[tuple[str, bytes]], qos: int, retain: bool) -> int:
        """Several messages of ours; how many were taken, from the first (see `publish`)."""
        if isinstance(self._client, BatchingClient) and qos == 1:
            return self._client.publish_many(messages, retain)
        return publish_each(self.publish, messages, qos, retain)

    def pause_reading(self) -> None:
        """Deliver nothing more for now. The fast path stops reading the socket while acks still go out;
        paho's own client is held in our message callback instead (so its acks wait too, and a pause
        longer than 1.5 keepalives, 45 s, costs a reconnect and a redelivery: nothing is lost)."""
        self._reading.clear()

    def resume_reading(self) -> None:
        self._reading.set()

    def _handle_connect(self, client: mqtt.Client, _userdata: Any, _flags: Any, reason: ReasonCode, props: Any) -> None:
        if reason.is_failure:
            self._last_error = str(reason)
            log.error("MQTT connection refused: %s", reason)
            return
        if announced := getattr(props, "ReceiveMaximum", None):
            # mosquitto announces its max_inflight_messages (1000 as deployed) and takes QoS 1 publishes past it
            # (tests/collector/test_mqtt_link.py sends 66,000 at once); another broker may refuse them.
            log.info("the MQTT broker announces a Receive Maximum of %d; ack watermarks may exceed it", announced)
        org = self._settings.organisation
        group = self._settings.mqtt_share_group
        topics = [(subscription(kind, org=org, share_group=group), 1) for kind in SUBSCRIBED_KINDS]
        self._subscribed.clear()
        client.subscribe(topics)
        self._last_error = None
        self._generation += 1
        self._connected.set()
        log.info("connected to MQTT broker, subscribed to %s", ", ".join(t for t, _ in topics))

    def _handle_subscribe(
        self, _client: mqtt.Client, _userdata: Any, _mid: int, reasons: list[ReasonCode], _props: Any
    ) -> None:
        refused = [reason for reason in reasons if reason.is_failure]
        for reason in refused:
            self._last_error = f"subscription refused: {reason}"
            log.error("the broker refused a subscription: %s (check the collector's ACL)", reason)
        if not refused:
            self._subscribed.set()

    def _handle_disconnect(
        self, _client: mqtt.Client, _userdata: Any, _flags: Any, reason: ReasonCode, _props: Any
    ) -> None:
        self._connected.clear()
        if reason.is_failure:
            self._last_error = str(reason)
            log.warning("MQTT connection lost (%s); reconnecting", reason)

    def _handle_message(self, _client: mqtt.Client, _userdata: Any, message: mqtt.MQTTMessage) -> None:
        """Every message of paho's own client; on the fast path, what `_handle_qos1` does not get (QoS 0,
        or a PUBLISH with properties)."""
        try:
            topic = message.topic
        except UnicodeDecodeError:  # the broker should have refused it; quarantined as a bad topic
            topic = "(topic not UTF-8)"
        self._deliver(
            Inbound(topic, bytes(message.payload), datetime.now(UTC), message.mid, message.qos, self._generation)
        )
        if not self.fast_path:
            while not self._reading.wait(PAUSE_CHECK_S) and not self._stopping:
                pass  # paused: hold paho's thread, so that it reads nothing more

    def _handle_qos1(self, topic: bytes, payload: bytes, mid: int) -> None:
        """What kiosks send (QoS 1, no properties), straight from the client's read buffer."""
        self._deliver(Inbound(topic.decode("utf-8", "replace"), payload, datetime.now(UTC), mid, 1, self._generation))

    def _deliver(self, inbound: Inbound) -> None:
        assert self._receive is not None
        self._receive(inbound)
