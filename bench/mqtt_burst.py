"""A load generator's MQTT v5 publisher: QoS 1 PUBLISH packets written in bulk on one socket.

The national day's publishers stand in for 50,000 kiosks, devices whose CPUs are not this machine's. With
paho (a thread, a lock, a message object and an info object per publish) they took 115 µs of CPU a rating,
more than the collector; that was the test rig competing with the system under test for two cores. This
writes the same packets as paho does (MQTT 5.0, section 3.3), many to a `sendall`, keeps at most the
broker's Receive Maximum unacknowledged, and raises on a refused PUBACK. It is not a client for anything
else: no subscriptions, no reconnect, no QoS 2.
"""

from __future__ import annotations

import select
import socket
import struct
from collections.abc import Iterable

CONNACK, PUBACK = 0x20, 0x40


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        n, digit = divmod(n, 128)
        out.append(digit | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _string(text: str) -> bytes:
    data = text.encode()
    return struct.pack("!H", len(data)) + data


class BurstPublisher:
    def __init__(self, host: str, port: int, client_id: str) -> None:
        self.sock = socket.create_connection((host, port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # CONNECT: protocol "MQTT" v5, clean start + user name, keep alive off, no properties; user = client id.
        body = _string("MQTT") + bytes([5, 0x82]) + struct.pack("!H", 0) + b"\x00" + _string(client_id)
        body += _string(client_id)
        self.sock.sendall(bytes([0x10]) + varint(len(body)) + body)
        self.buffer = b""
        kind, packet = self._packet()
        if kind != CONNACK or packet[1] != 0:
            raise ConnectionError(f"the broker refused the connection: {packet!r}")
        self.receive_max = _receive_maximum(packet)
        self.inflight = 0
        self.next_id = 1
        self.sent = 0

    def _packet(self) -> tuple[int, bytes]:
        """The next whole packet from the socket (blocking)."""
        while True:
            found = _split(self.buffer)
            if found is not None:
                kind, packet, self.buffer = found
                return kind, packet
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("the broker closed the connection")
            self.buffer += chunk

    def _acks(self, block: bool) -> None:
        """Count the PUBACKs that arrived (waiting for at least one when `block`)."""
        if not block and not select.select([self.sock], [], [], 0)[0]:
            return
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise ConnectionError("the broker closed the connection")
        self.buffer += chunk
        while (found := _split(self.buffer)) is not None:
            kind, packet, self.buffer = found
            if kind != PUBACK:
                raise ConnectionError(f"unexpected packet {kind:#x} from the broker")
            if len(packet) > 2 and packet[2] >= 0x80:
                raise ConnectionError(f"the broker refused a message: reason {packet[2]:#x}")
            self.inflight -= 1

    def publish(self, messages: Iterable[tuple[str, bytes]], chunk: int = 64) -> None:
        """Send every (topic, payload) with QoS 1, `chunk` packets to a write, and wait for every PUBACK."""
        out: list[bytes] = []
        for topic, payload in messages:
            while self.inflight + len(out) >= self.receive_max:
                self._flush(out)
                self._acks(block=True)
            head = _string(topic) + struct.pack("!H", self.next_id) + b"\x00"
            out.append(b"\x32" + varint(len(head) + len(payload)) + head + payload)
            self.next_id = self.next_id % 65535 + 1
            if len(out) >= chunk:
                self._flush(out)
                self._acks(block=False)
        self._flush(out)
        while self.inflight:
            self._acks(block=True)

    def _flush(self, out: list[bytes]) -> None:
        if out:
            self.sock.sendall(b"".join(out))
            self.inflight += len(out)
            self.sent += len(out)
            out.clear()

    def close(self) -> None:
        self.sock.sendall(b"\xe0\x00")  # DISCONNECT, normal
        self.sock.close()


def _split(buffer: bytes) -> tuple[int, bytes, bytes] | None:
    """(packet type, variable header and payload, rest) of the first whole packet in `buffer`, or None."""
    length, shift, i = 0, 0, 1
    while True:
        if i >= len(buffer):
            return None
        digit = buffer[i]
        length |= (digit & 0x7F) << shift
        shift, i = shift + 7, i + 1
        if not digit & 0x80:
            break
    if len(buffer) < i + length:
        return None
    return buffer[0] & 0xF0, buffer[i : i + length], buffer[i + length :]


def _receive_maximum(connack: bytes) -> int:
    """The CONNACK's Receive Maximum property (0x21), 65,535 when absent (MQTT 5.0, 3.2.2.3.3)."""
    props_len, shift, i = 0, 0, 2
    while True:
        digit = connack[i]
        props_len |= (digit & 0x7F) << shift
        shift, i = shift + 7, i + 1
        if not digit & 0x80:
            break
    end = i + props_len
    sizes = {
        0x11: 4,
        0x12: None,
        0x13: 2,
        0x15: None,
        0x16: None,
        0x17: 1,
        0x19: 1,
        0x1A: None,
        0x1C: None,
        0x1F: None,
        0x21: 2,
        0x22: 2,
        0x24: 1,
        0x25: 1,
        0x26: None,
        0x27: 4,
        0x28: 1,
        0x29: 1,
        0x2A: 1,
    }
    while i < end:
        prop = connack[i]
        i += 1
        if prop == 0x21:
            return int(struct.unpack_from("!H", connack, i)[0])
        size = sizes.get(prop)
        if size is None:  # a string or binary data: two bytes of length first; user properties are two strings
            count = 2 if prop == 0x26 else 1
            for _ in range(count):
                i += 2 + struct.unpack_from("!H", connack, i)[0]
        else:
            i += size
    return 65535
