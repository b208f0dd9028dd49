"""paho's client, tuned for a subscriber that takes thousands of QoS 1 messages a second.

paho reads every packet with at least three `recv()` calls (type, length, body) and
sends every PUBACK with a `send()` of its own plus a wake-up of its network thread.
Each of those system calls gives up the GIL, which the collector's writer threads then
take: under load the network thread spent more time there than on the messages. This
subclass changes only that plumbing:

- reads: one `recv()` takes what the socket has (up to `READ_CHUNK`), paho's small
  reads are served from that buffer, and every complete packet in it is handled
  before going back to `select()`;
- acks: `ack_many()` queues the PUBACKs of a whole batch as one write.

The MQTT behaviour is paho's own; the buffer is dropped on every (re)connection.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import MQTTErrorCode

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

    def ack_many(self, mids: Iterable[int]) -> None:
        """PUBACK (QoS 1, success) for every packet id, in order, as one queued write."""
        packet = b"".join(struct.pack("!BBH", PUBACK, 2, mid) for mid in mids)
        if packet:
            self._packet_queue(PUBACK, packet, 0, 0)
