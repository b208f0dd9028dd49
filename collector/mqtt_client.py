"""paho's client, tuned for a subscriber that takes thousands of QoS 1 messages a second.

paho reads every packet with at least three `recv()` calls (type, length, body) and
sends every PUBACK with a `send()` of its own plus a wake-up of its network thread.
Each of those system calls gives up the GIL, which the collector's writer threads then
take: under load the network thread spent more time there than on the messages. This
subclass changes only that plumbing:

- reads: one `recv()` takes what the socket has (up to `READ_CHUNK`), paho's small
  reads are served from that buffer, and every complete packet in it is handled
  before going back to `select()`;
- acks: `ack_many()` queues the PUBACKs of a whole batch as one write;
- QoS 1 PUBLISH without MQTT v5 properties (what kiosks send): the message is built
  directly, without paho's empty `Properties` object (~9 of paho's ~10 µs to decode
  one); any other PUBLISH goes through paho's own code.

The MQTT behaviour is paho's own; the buffer is dropped on every (re)connection.
"""

from __future__ import annotations

import struct
import time
from collections.abc import Iterable
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import MQTTErrorCode, MQTTProtocolVersion

READ_CHUNK = 256 * 1024
PUBACK = 0x40


class BatchingClient(mqtt.Client):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._read_buffer = b""
        self._read_pos = 0

    def _sock_recv(self, bufsize: int) -> bytes:
        if self._read_pos >= len(self._read_buffer):
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
            rc = super().loop_read(max_packets)
        return rc

    def reconnect(self) -> MQTTErrorCode:
        self._read_buffer, self._read_pos = b"", 0  # never serve an old connection's bytes to a new one
        return super().reconnect()

    def _handle_publish(self) -> MQTTErrorCode:
        command, packet = self._in_packet["command"], self._in_packet["packet"]
        qos = (command & 0x06) >> 1
        if self._protocol != MQTTProtocolVersion.MQTTv5 or qos != 1 or not self._manual_ack or len(packet) < 2:
            return super()._handle_publish()
        (topic_length,) = struct.unpack_from("!H", packet)
        mid_at = 2 + topic_length
        if topic_length == 0 or len(packet) < mid_at + 3 or packet[mid_at + 2] != 0:
            return super()._handle_publish()  # properties (or a topic alias), or malformed: paho decides
        (mid,) = struct.unpack_from("!H", packet, mid_at)
        message = mqtt.MQTTMessage(mid=mid, topic=bytes(packet[2:mid_at]))
        message.dup = bool(command & 0x08)
        message.qos = 1
        message.retain = bool(command & 0x01)
        message.payload = bytes(packet[mid_at + 3 :])
        message.timestamp = time.monotonic()
        self._handle_on_message(message)
        return MQTTErrorCode.MQTT_ERR_SUCCESS  # acked by the caller after the commit (manual ack)

    def ack_many(self, mids: Iterable[int]) -> None:
        """PUBACK (QoS 1, success) for every packet id, in order, as one queued write."""
        packet = b"".join(struct.pack("!BBH", PUBACK, 2, mid) for mid in mids)
        if packet:
            self._packet_queue(PUBACK, packet, 0, 0)
