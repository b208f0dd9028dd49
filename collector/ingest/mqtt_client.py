"""The MQTT fast path: paho's client, tuned for a subscriber that takes thousands of QoS 1 messages a second.

This is the one module that reaches into paho's private methods and state; it is fenced. It is used
only on the paho releases in `TESTED_PAHO_VERSIONS` (`fast_path_wanted`), it can be turned off
(`COLLECTOR_MQTT_FAST_PATH=off`: paho's own client, see `collector.ingest.mqtt_link`), and the MQTT client
and delivery tests run against both paths. Nothing else in the collector touches paho's internals
(`tests/collector/test_mqtt_link.py` checks).

paho reads every packet with at least three `recv()` calls (type, length, body) and
sends every PUBACK with a `send()` of its own plus a wake-up of its network thread.
Each of those system calls gives up the GIL, which the collector's writer threads then
take: under load the network thread spent more time there than on the messages. This
subclass changes only that plumbing:

- reads: one `recv()` takes what the socket has (up to `READ_CHUNK`), paho's small
  reads are served from that buffer, and every complete packet in it is handled
  before going back to `select()`;
- QoS 1 PUBLISH without MQTT v5 properties (what kiosks send): complete ones are taken
  straight from that buffer, past paho's byte-by-byte packet reader, and handed to
  `on_qos1_message(topic, payload, mid)` when it is set (else as paho's `MQTTMessage`
  to `on_message`); paho's reader, its `Properties` object and its callback dispatch
  were about half of the network thread's time. Any other packet (and one split
  between two reads) goes through paho's own code;
- acks: `ack_many()` queues the PUBACKs of a whole batch as one write;
- publishes: `publish_many()` queues a round of QoS 1 watermarks as one write, each message kept
  as paho keeps its own (a PUBACK completes it, a reconnection resends it). paho's `publish()`
  cost 29 us of CPU a message (a packet, a write and a wake-up of its thread each), and the
  acker publishes a watermark for nearly every rating of a large fleet;
- PUBACKs for our own QoS 1 publishes (the watermarks, hundreds a second) without
  properties are decoded without paho's two `ReasonCode` and one `Properties` objects
  each (a tenth of the collector's CPU under load); the rest is paho's own handling;
- back-pressure: while `pause_reading()` says so, nothing more is read. The network
  thread still writes, so acks and keepalives go out, and data waiting on the socket
  counts as a sign of life for paho's keepalive: a long pause is no lost connection.
  mosquitto 2.0.11 honours a client's Receive Maximum only until the client's first
  PUBACKs; after those it sends its whole queue (checked here: a Receive Maximum of
  5000, the first 5000 acked, and the other 35,000 came at once).

The MQTT behaviour is paho's own; the buffer is dropped on every (re)connection.
"""

from __future__ import annotations

import functools
import logging
import struct
import time
from collections.abc import Callable, Iterable
from typing import Any

import paho.mqtt
import paho.mqtt.client as mqtt
from paho.mqtt.enums import MQTTErrorCode, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from collector.ingest.transport import publish_each

log = logging.getLogger(__name__)

TESTED_PAHO_VERSIONS = ("2.2.0",)
"""paho-mqtt releases the whole test suite passed with on the fast path. Add one only after that. (2.1.0
failed it: its keepalive reads `_last_msg_in`, not `_last_bytes_received`, so a long pause reconnected.)"""


class UntestedPaho(RuntimeError):
    """The fast path was required (`on`) on a paho release it was not tested with."""


@functools.cache
def fast_path_wanted(mode: str, version: str = paho.mqtt.__version__) -> bool:
    """Whether to use the fast path: `on` (refused on an untested paho), `off`, or `auto` (on when the
    paho release is a tested one; otherwise paho's own client, said in one log line per process)."""
    if mode == "off":
        return False
    tested = version in TESTED_PAHO_VERSIONS
    if mode == "on" and not tested:
        raise UntestedPaho(
            f"COLLECTOR_MQTT_FAST_PATH=on, but the fast path was not tested with paho-mqtt {version} "
            f"(tested: {', '.join(TESTED_PAHO_VERSIONS)}): use auto or off"
        )
    if not tested:
        log.warning(
            "paho-mqtt %s is not among the releases the MQTT fast path was tested with (%s): using paho's own client",
            version,
            ", ".join(TESTED_PAHO_VERSIONS),
        )
    return tested


READ_CHUNK = 256 * 1024
PAUSE_S = 0.01
"""How often a paused reader looks again (the socket stays readable, so `select()` returns at once)."""
PUBACK = 0x40
OUR_PUBLISHES_MAX = 10_000
"""Our QoS 1 publishes awaiting the broker's PUBACK, at most. Enough for a round of watermarks of a large
fleet; and while a backlog stops us reading (the broker's PUBACKs too), the rest wait in the acker as a
few numbers each instead of paho's ten objects each, which every garbage collection walks."""


def _pack_length(out: bytearray, length: int) -> None:
    """MQTT's variable byte integer (the remaining length)."""
    while True:
        byte, length = length & 0x7F, length >> 7
        out.append(byte | 0x80 if length else byte)
        if not length:
            return


def _taken_one_by_one(client: mqtt.Client, messages: Iterable[tuple[str, bytes]], retain: bool) -> int:
    """paho's own `publish`, QoS 1, until it refuses one (all packet ids in use): how many it took."""

    def publish(topic: str, payload: bytes, qos: int, retain: bool) -> bool:
        return client.publish(topic, payload, qos=qos, retain=retain).rc != MQTTErrorCode.MQTT_ERR_QUEUE_SIZE

    return publish_each(publish, messages, 1, retain)


PUBLISH_QOS1 = 0x32
"""First byte of a QoS 1 PUBLISH, under the mask `0xF6` (which ignores the DUP and RETAIN flags)."""

_PUBACK_PROPERTIES = Properties(PacketTypes.PUBACK)  # type: ignore[no-untyped-call]
"""The empty properties of every PUBACK without any, shared (paho builds one per packet)."""
_PUBACK_REASONS: dict[int, ReasonCode] = {}

Qos1Handler = Callable[[bytes, bytes, int], None]
"""(topic, payload, packet id) of a QoS 1 PUBLISH without properties; ack it with `ack_many`."""


def _plain_header(data: bytes | bytearray, body: int, end: int) -> tuple[int, int] | None:
    """In a QoS 1 PUBLISH whose variable header starts at `body` and which ends at `end`: (end of the
    topic, packet id) when it names a topic and has no properties (the payload starts 3 bytes after the
    topic); None for anything else (a topic alias, properties, malformed): paho decides those."""
    if end - body < 2:
        return None
    topic_end = body + 2 + ((data[body] << 8) | data[body + 1])
    if topic_end == body + 2 or topic_end + 3 > end or data[topic_end + 2] != 0:
        return None
    return topic_end, (data[topic_end] << 8) | data[topic_end + 1]


class BatchingClient(mqtt.Client):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._read_buffer = b""
        self._read_pos = 0
        self.on_qos1_message: Qos1Handler | None = None
        self.pause_reading: Callable[[], bool] | None = None

    def _sock_recv(self, bufsize: int) -> bytes:
        if self._read_pos >= len(self._read_buffer):
            if self.pause_reading is not None and self.pause_reading():
                # Paused only with an empty buffer, so nothing read waits unhandled. We are here because
                # the socket has data: the broker is alive, which paho's keepalive learns from reads.
                with self._msgtime_mutex:
                    self._last_bytes_received = time.monotonic()
                time.sleep(PAUSE_S)
                raise BlockingIOError  # for paho: nothing to read yet
            data = super()._sock_recv(READ_CHUNK)  # BlockingIOError when the socket has nothing
            if not data:
                return data  # the peer closed the connection
            self._read_buffer, self._read_pos = data, 0
        start = self._read_pos
        self._read_pos = min(start + bufsize, len(self._read_buffer))
        return self._read_buffer[start : self._read_pos]

    def _buffered(self) -> bool:
        return self._read_pos < len(self._read_buffer)

    def loop_read(self, max_packets: int = 1) -> MQTTErrorCode:
        """paho handles one packet per call (per `select()`): go on while packets wait in the buffer."""
        rc = super().loop_read(max_packets)
        while rc == MQTTErrorCode.MQTT_ERR_SUCCESS and self._sock is not None and self._buffered():
            if not self._take_publishes():
                rc = super().loop_read(max_packets)
        return rc

    def _take_publishes(self) -> bool:
        """Handle the complete QoS 1 PUBLISH packets without properties at the head of the buffer, up to
        the first other packet or incomplete one (left to paho); whether any was taken."""
        if not self._plain_path() or self._in_packet["command"]:
            return False  # paho acks itself, or is in the middle of a packet: its reader goes on
        buf, pos = self._read_buffer, self._read_pos
        end, start = len(buf), pos
        while pos < end and buf[pos] & 0xF6 == PUBLISH_QOS1:
            length, shift, body = 0, 0, pos + 1
            while body < end and body - pos <= 4:  # Remaining Length: at most four bytes
                byte = buf[body]
                body += 1
                length |= (byte & 0x7F) << shift
                shift += 7
                if not byte & 0x80:
                    break
            else:
                break  # length incomplete in this read, or malformed: paho's reader decides
            packet_end = body + length
            header = _plain_header(buf, body, packet_end) if packet_end <= end else None
            if header is None:
                break  # incomplete in this read, or not a plain one: paho's reader decides
            topic_end, mid = header
            self._read_pos = packet_end
            self._deliver(buf[pos], buf[body + 2 : topic_end], mid, buf[topic_end + 3 : packet_end])
            pos = packet_end
        if pos == start:
            return False
        with self._msgtime_mutex:
            self._last_bytes_received = time.monotonic()  # paho's keepalive clock, as its reader sets it
        return True

    def _plain_path(self) -> bool:
        """Whether QoS 1 PUBLISH packets may skip paho's decoding: MQTT v5, acked by us after the commit."""
        return bool(self._manual_ack) and self._protocol == MQTTProtocolVersion.MQTTv5

    def _deliver(self, command: int, topic: bytes, mid: int, payload: bytes) -> None:
        if self.on_qos1_message is not None:
            self.on_qos1_message(topic, payload, mid)
            return
        message = mqtt.MQTTMessage(mid=mid, topic=topic)
        message.dup = bool(command & 0x08)
        message.qos = 1
        message.retain = bool(command & 0x01)
        message.payload = payload
        message.timestamp = time.monotonic()
        self._handle_on_message(message)

    def reconnect(self) -> MQTTErrorCode:
        self._read_buffer, self._read_pos = b"", 0  # never serve an old connection's bytes to a new one
        return super().reconnect()

    def _handle_publish(self) -> MQTTErrorCode:
        """A packet paho's reader took (one split between two reads): the same plain path, if it is plain."""
        command, packet = self._in_packet["command"], self._in_packet["packet"]
        header = (
            _plain_header(packet, 0, len(packet)) if command & 0xF6 == PUBLISH_QOS1 and self._plain_path() else None
        )
        if header is None:
            return super()._handle_publish()
        topic_end, mid = header
        self._deliver(command, bytes(packet[2:topic_end]), mid, bytes(packet[topic_end + 3 :]))
        return MQTTErrorCode.MQTT_ERR_SUCCESS  # acked by the caller after the commit (manual ack)

    def _handle_pubackcomp(self, cmd: Any) -> MQTTErrorCode:
        """A PUBACK of MQTT v5 with no properties (packet id, then at most a reason code and an empty
        property length): paho's outcome, with shared reason and properties objects."""
        packet = self._in_packet["packet"]
        if cmd != "PUBACK" or self._protocol != MQTTProtocolVersion.MQTTv5 or not 2 <= len(packet) <= 4:
            return super()._handle_pubackcomp(cmd)
        if len(packet) == 4 and packet[3] != 0:
            return super()._handle_pubackcomp(cmd)
        code = packet[2] if len(packet) > 2 else 0
        reason = _PUBACK_REASONS.get(code)
        if reason is None:
            try:
                reason = _PUBACK_REASONS[code] = ReasonCode(PacketTypes.PUBACK, identifier=code)
            except KeyError:  # not a PUBACK reason code: paho decides what that is
                return super()._handle_pubackcomp(cmd)
        mid = (packet[0] << 8) | packet[1]
        with self._out_message_mutex:
            if mid in self._out_messages:
                return self._do_on_publish(mid, reason, _PUBACK_PROPERTIES)
        return MQTTErrorCode.MQTT_ERR_SUCCESS

    def publish_many(self, messages: Iterable[tuple[str, bytes]], retain: bool) -> int:
        """QoS 1 publishes of ours as one queued write, registered as paho registers its own. How many
        were taken, from the first: the others found `OUR_PUBLISHES_MAX` awaiting their PUBACK, or the
        next packet id still in use (paho refuses a publish then too). While disconnected, paho's own
        `publish`."""
        if self._sock is None:
            return _taken_one_by_one(self, messages, retain)
        command = PUBLISH_QOS1 | int(retain)
        now = time.monotonic()
        out = bytearray()
        taken = 0
        with self._out_message_mutex:
            for topic, payload in messages:
                if self._inflight_messages >= OUR_PUBLISHES_MAX:
                    break
                mid = self._mid_generate()
                if mid in self._out_messages:
                    break
                topic_bytes = topic.encode()
                message = mqtt.MQTTMessage(mid, topic_bytes)
                message.timestamp = now
                message.payload = payload
                message.qos = 1
                message.retain = retain
                message.dup = False
                message.state = mqtt.mqtt_ms_wait_for_puback
                self._out_messages[mid] = message
                self._inflight_messages += 1
                out.append(command)
                _pack_length(out, 2 + len(topic_bytes) + 2 + 1 + len(payload))
                out += struct.pack("!H", len(topic_bytes))
                out += topic_bytes
                out += struct.pack("!HB", mid, 0)  # packet id, no properties
                out += payload
                taken += 1
        if out:
            self._packet_queue(command, bytes(out), 0, 1)  # QoS 1: paho completes each on its PUBACK
        return taken

    def ack_many(self, mids: Iterable[int]) -> None:
        """PUBACK (QoS 1, success) for every packet id, in order, as one queued write."""
        packet = b"".join(struct.pack("!BBH", PUBACK, 2, mid) for mid in mids)
        if packet:
            self._packet_queue(PUBACK, packet, 0, 0)
