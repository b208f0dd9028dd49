"""The kiosk's MQTT link: one thread owns the connection and drains the outbox in sequence order.

Per connection (MQTT v5, clean start, a fresh paho client each time so that the
outbox, not paho's memory, decides what is sent):

1. CONNACK -> retained `online` status, subscribe to our `ack` and `config` topics,
   a heartbeat (it anchors this boot's clock at the collector before any rating).
2. After the SUBACK, a short grace for the retained watermark, then ratings go out,
   QoS 1, as `SendWindow` decides (bounded, resent while the watermark stalls: a
   broker can crash after its PUBACK; only the collector's watermark proves storage).

A lost connection is retried after a growing delay (`kiosk.core.backoff`); much longer
when another client with our id took the connection (two devices with one identity):
the two then take turns rather than fight, each delivering its own ratings, and the
collector reports the conflict. A broker says so (MQTT v5 reason "Session taken over"),
but mosquitto 2.0 just closes the socket; so a connection cut without a word from the
broker also counts as a takeover while the collector's last ack for our instance said
that it hears more than one device behind our kiosk id.
"""

from __future__ import annotations

import logging
import random
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.reasoncodes import ReasonCode

from kiosk import __version__
from kiosk.core.backoff import Backoff
from kiosk.core.outbox import Outbox
from kiosk.core.send_window import SendWindow
from kiosk.core.settings import KioskSettings
from protocol import Ack, Heartbeat, ProtocolError, Status, TopicKind, build_topic, encode, parse_topic, spec_for
from protocol.codec import decode_as

log = logging.getLogger(__name__)

SESSION_TAKEN_OVER = 142
"""MQTT v5 DISCONNECT reason: another client connected with our client id."""
ACK_GRACE_S = 0.5
"""After subscribing, how long to wait for the retained watermark before sending (it saves resending)."""
CONNACK_TIMEOUT_S = 10.0
GOODBYE_TIMEOUT_S = 2.0
FETCH_ROWS = 500
IDLE_POLL_S = 0.05


@dataclass
class LinkStats:
    connections: int = 0
    published: int = 0
    """Rating publishes, resends included."""
    broker_acked: int = 0
    resends: int = 0
    """Times the link went back to the watermark because the collector confirmed nothing."""
    takeovers: int = 0
    """Times the broker closed our connection because another client connected with our id."""
    last_error: str | None = None


class Link:
    def __init__(
        self,
        settings: KioskSettings,
        outbox: Outbox,
        heartbeat: Callable[[], Heartbeat],
        on_config: Callable[[bytes], object],
        *,
        rng: random.Random | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._s = settings
        self._outbox = outbox
        self._heartbeat = heartbeat
        self._on_config = on_config
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not secrets
        self._now = monotonic
        self._stop = threading.Event()
        self._heartbeat_wanted = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"mqtt-{settings.kiosk_id}", daemon=True)
        self._listeners: list[Callable[[bool], None]] = []
        self._online = False
        self._twin_reported = False
        self.stats = LinkStats()
        self._window = SendWindow(
            settings.send_window,
            settings.max_inflight,
            settings.resend_after_s,
            settings.resend_max_s,
            outbox.stats().watermark,
        )
        self._reset_connection_state()

    def topic(self, kind: TopicKind) -> str:
        return build_topic(self._s.organisation, self._s.kiosk_id, kind)

    @property
    def online(self) -> bool:
        return self._online

    @property
    def alive(self) -> bool:
        """The link's thread runs (online or retrying): what a watchdog checks."""
        return self._thread.is_alive()

    def add_listener(self, listener: Callable[[bool], None]) -> None:
        """Called with True/False when the link comes up or goes down (on the link's thread)."""
        self._listeners.append(listener)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        """Say `offline` (retained), disconnect cleanly, and wait for the thread."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def request_heartbeat(self) -> None:
        self._heartbeat_wanted.set()

    # -- connection life cycle (the link's thread) -------------------------------------------------

    def _run(self) -> None:
        backoff = Backoff(self._s, self._rng)
        while not self._stop.is_set():
            connected_at = self._now()
            try:
                client = self._new_client()
                if self._connect(client) and self._serve(client):
                    backoff.connected()
            except Exception as exc:  # a failing disk or a bug must cost a reconnect, never the link
                log.exception("kiosk %s: the MQTT link failed", self._s.kiosk_id)
                self.stats.last_error = f"link failure: {exc}"
                self._set_online(False)
            if self._stop.is_set():
                break
            if self._taken_over:
                delay = backoff.after_takeover(self._now() - connected_at)
                log.warning(
                    "kiosk %s: another device connected with this kiosk's id and the broker closed our connection "
                    "(%d time(s) in a row); waiting %.0f s before reconnecting. Two devices must never share a "
                    "kiosk identity: see deploy/kiosk/README.md",
                    self._s.kiosk_id,
                    backoff.takeovers_in_a_row,
                    delay,
                )
            else:
                delay = backoff.after_loss()
                log.info(
                    "kiosk %s offline (%s); next attempt in %.1f s", self._s.kiosk_id, self.stats.last_error, delay
                )
            self._stop.wait(delay)

    def _new_client(self) -> mqtt.Client:
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=self._s.kiosk_id, protocol=mqtt.MQTTv5)
        client.username_pw_set(self._s.kiosk_id, self._s.password())
        if self._s.mqtt_tls:
            ca = str(self._s.mqtt_ca_file) if self._s.mqtt_ca_file else None
            client.tls_set(ca_certs=ca, cert_reqs=ssl.CERT_REQUIRED)
        status = spec_for(TopicKind.STATUS)
        client.will_set(self.topic(TopicKind.STATUS), encode(Status(state="offline")), status.qos, status.retain)
        client.max_inflight_messages_set(0)  # we keep count ourselves, within the broker's Receive Maximum
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        client.on_publish = self._on_publish
        return client

    def _connect(self, client: mqtt.Client) -> bool:
        self._reset_connection_state()
        try:
            client.connect(self._s.mqtt_host, self._s.mqtt_port, keepalive=self._s.mqtt_keepalive_s, clean_start=True)
        except (OSError, ValueError) as exc:
            self.stats.last_error = f"cannot reach {self._s.mqtt_host}:{self._s.mqtt_port}: {exc}"
            return False
        return True

    def _serve(self, client: mqtt.Client) -> bool:
        """Run one connection until it drops or we stop; True if the broker accepted us."""
        deadline = self._now() + CONNACK_TIMEOUT_S
        try:
            while not self._stop.is_set():
                rc = client.loop(0.0 if self._busy else IDLE_POLL_S)
                if rc != MQTTErrorCode.MQTT_ERR_SUCCESS or self._refused:
                    break
                if self._online:
                    self._pump(client)
                elif self._now() > deadline:
                    self.stats.last_error = "no CONNACK from the broker"
                    break
            if self._stop.is_set() and self._online:
                self._say_goodbye(client)
        finally:
            client.disconnect()
            client.loop(0.0)
            self._set_online(False)
        return self._accepted

    def _say_goodbye(self, client: mqtt.Client) -> None:
        spec = spec_for(TopicKind.STATUS)
        info = client.publish(self.topic(TopicKind.STATUS), encode(Status(state="offline")), spec.qos, spec.retain)
        deadline = self._now() + GOODBYE_TIMEOUT_S
        while not info.is_published() and self._now() < deadline:
            if client.loop(0.05) != MQTTErrorCode.MQTT_ERR_SUCCESS:
                break

    def _reset_connection_state(self) -> None:
        self._accepted = self._refused = self._busy = self._taken_over = False
        self._window.reset(self._s.max_inflight)
        self._drain_at: float | None = None
        self._heartbeat_due = 0.0

    def _set_online(self, online: bool) -> None:
        if online == self._online:
            return
        self._online = online
        for listener in self._listeners:
            try:
                listener(online)
            except Exception:
                log.exception("link listener failed")

    # -- paho callbacks (the link's thread, inside client.loop) ----------------------------------

    def _on_connect(self, client: mqtt.Client, _u: Any, _f: Any, reason: ReasonCode, props: Any) -> None:
        if reason.is_failure:
            self.stats.last_error = f"broker refused kiosk {self._s.kiosk_id}: {reason}"
            log.error("%s", self.stats.last_error)
            self._refused = True
            return
        self._accepted = True
        self.stats.connections += 1
        self.stats.last_error = None
        receive_maximum = getattr(props, "ReceiveMaximum", None)
        if receive_maximum:
            self._window.inflight = min(self._s.max_inflight, int(receive_maximum))
        status = spec_for(TopicKind.STATUS)
        client.publish(
            self.topic(TopicKind.STATUS), encode(Status(state="online", version=__version__)), status.qos, status.retain
        )
        client.subscribe([(self.topic(TopicKind.ACK), 1), (self.topic(TopicKind.CONFIG), 1)])
        self._send_heartbeat(client)
        log.info("kiosk %s connected to %s:%d", self._s.kiosk_id, self._s.mqtt_host, self._s.mqtt_port)
        self._set_online(True)

    def _on_disconnect(self, _c: mqtt.Client, _u: Any, flags: Any, reason: ReasonCode, _p: Any) -> None:
        silent_cut = reason.is_failure and not getattr(flags, "is_disconnect_packet_from_server", False)
        if reason.value == SESSION_TAKEN_OVER or (self._accepted and silent_cut and self._twin_reported):
            self._taken_over = True
            self.stats.takeovers += 1
            self.stats.last_error = "another client connected with this kiosk's id"
            return
        if reason.is_failure:
            self.stats.last_error = f"connection lost: {reason}"
            log.warning("kiosk %s: %s", self._s.kiosk_id, self.stats.last_error)

    def _on_subscribe(self, _c: mqtt.Client, _u: Any, _mid: int, reasons: list[ReasonCode], _p: Any) -> None:
        if any(r.is_failure for r in reasons):
            log.error(
                "broker refused our ack/config subscription (%s): ratings are sent but never forgotten; check the ACL",
                ", ".join(str(r) for r in reasons),
            )
        if self._drain_at is None:
            self._drain_at = self._now() + ACK_GRACE_S

    def _on_publish(self, _c: mqtt.Client, _u: Any, mid: int, reason: ReasonCode, _p: Any) -> None:
        seq = self._window.puback(mid)
        if seq is None:
            return
        self.stats.broker_acked += 1
        if reason.is_failure:
            log.error("broker refused rating seq %d: %s (it stays in the outbox)", seq, reason)

    def _on_message(self, _c: mqtt.Client, _u: Any, message: mqtt.MQTTMessage) -> None:
        try:
            kind = parse_topic(message.topic).kind
            if kind is TopicKind.ACK:
                ack = decode_as(Ack, bytes(message.payload))
                if ack.kiosk_id != self._s.kiosk_id:
                    raise ProtocolError("identity_mismatch", f"ack for {ack.kiosk_id!r} on our topic")
                self._on_watermark(ack)
            elif kind is TopicKind.CONFIG:
                self._on_config(bytes(message.payload))
                self.request_heartbeat()
        except ProtocolError as exc:
            log.warning("ignoring message on %s: %s", message.topic, exc)
        except Exception:  # never let a message stop the link
            log.exception("failed to handle a message on %s", message.topic)

    # -- sending (the link's thread) -------------------------------------------------------------

    def _on_watermark(self, ack: Ack) -> None:
        seq = ack.seq
        if ack.instance == self._outbox.instance:
            self._twin_reported = bool(ack.identity_conflict)
        outcome = self._outbox.acknowledge(seq, ack.instance)
        if not outcome.accepted:
            log.debug(
                "watermark %d of instance %s is not newer than our %d, or not ours (%s); ignored",
                seq,
                ack.instance,
                self._window.watermark,
                self._outbox.instance,
            )
            return
        if outcome.renumbered:
            log.warning(
                "the collector has stored up to seq %d, beyond this outbox's numbering (was the outbox reset?): "
                "%d pending rating(s) renumbered after it",
                seq,
                outcome.renumbered,
            )
        self._window.covered(seq, renumbered=bool(outcome.renumbered))
        self._drain_at = self._now()

    def _send_heartbeat(self, client: mqtt.Client) -> None:
        self._heartbeat_wanted.clear()
        self._heartbeat_due = self._now() + self._s.heartbeat_interval_s
        spec = spec_for(TopicKind.HEARTBEAT)
        client.publish(self.topic(TopicKind.HEARTBEAT), encode(self._heartbeat()), spec.qos, spec.retain)

    def _pump(self, client: mqtt.Client) -> None:
        now = self._now()
        if now >= self._heartbeat_due or self._heartbeat_wanted.is_set():
            self._send_heartbeat(client)
        self._busy = False
        if self._drain_at is None or now < self._drain_at:
            return
        window = self._window
        waited = window.resend_after
        if window.resend_due(now):
            self.stats.resends += 1
            log.warning(
                "kiosk %s: no watermark beyond seq %d for %.0f s; resending from there",
                self._s.kiosk_id,
                window.watermark,
                waited,
            )
        budget = window.budget()
        if budget <= 0:
            return
        want = min(budget, FETCH_ROWS)
        rows = self._outbox.pending(window.cursor, want)
        topic = self.topic(TopicKind.RATING)
        for row in rows:
            info = client.publish(topic, row.payload, qos=1)
            if info.rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
                return
            window.sent(row.seq, info.mid, now)
            self.stats.published += 1
        self._busy = len(rows) == want and budget > want
