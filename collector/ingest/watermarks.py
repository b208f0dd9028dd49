"""The ack watermark of one kiosk instance as it goes on the wire (see docs/mqtt.md, "Delivery guarantees")."""

from __future__ import annotations

import functools
from datetime import datetime

from collector.ingest.messages import InstanceKey
from protocol import Ack, TopicKind, build_topic, encode
from protocol.messages import NIL_INSTANCE


def ack_message(org: str, key: InstanceKey, seq: int, at: datetime, conflict: bool = False) -> tuple[str, bytes]:
    """Topic and payload of the watermark `seq` of `key`; a kiosk that sends no instance gets an ack naming none.
    `conflict`: the kiosk id has an open identity conflict (the kiosk then backs off when cut off)."""
    kiosk_id, instance = key
    ack = Ack(
        kiosk_id=kiosk_id,
        instance=None if instance == NIL_INSTANCE else instance,
        seq=seq,
        at=at,
        identity_conflict=True if conflict else None,
    )
    return _topic(org, kiosk_id), encode(ack)


@functools.lru_cache(maxsize=100_000)
def _topic(org: str, kiosk_id: str) -> str:
    """Checked and built once per kiosk: the acker publishes a watermark for nearly every rating of a large fleet."""
    return build_topic(org, kiosk_id, TopicKind.ACK)
