"""Refused messages, kept for inspection: topic, truncated raw bytes, reason, time."""

from __future__ import annotations

from collections.abc import Sequence

import psycopg
from psycopg.rows import TupleRow

from collector.ingest.messages import Rejection

PAYLOAD_LIMIT = 4096
"""Bytes of a refused payload kept; its full size is recorded beside (a rating is far smaller)."""
TOPIC_LIMIT = 1000
DETAIL_LIMIT = 2000


def _text(value: str, limit: int) -> str:
    """Safe for a text column: no NUL, no lone surrogates, at most `limit` characters."""
    return value[:limit].replace("\x00", "?").encode("utf-8", "replace").decode("utf-8")


def store(conn: psycopg.Connection[TupleRow], rejections: Sequence[Rejection]) -> dict[str, int]:
    """COPY the rejections into `quarantine`; counts per reason."""
    counts: dict[str, int] = {}
    if not rejections:
        return counts
    columns = "received_at, topic, payload, payload_size, reason, detail, kiosk_id, seq, event_id, instance"
    with conn.cursor() as cur, cur.copy(f"COPY quarantine ({columns}) FROM STDIN".encode()) as copy:
        for rej in rejections:
            rating = rej.rating
            copy.write_row(
                (
                    rej.inbound.received_at,
                    _text(rej.inbound.topic, TOPIC_LIMIT),
                    rej.inbound.payload[:PAYLOAD_LIMIT],
                    len(rej.inbound.payload),
                    _text(rej.reason, 100),
                    _text(rej.detail, DETAIL_LIMIT),
                    rating.kiosk_id if rating else None,
                    rating.seq if rating else None,
                    rating.event_id if rating else None,
                    rating.instance if rating else None,
                )
            )
            counts[rej.reason] = counts.get(rej.reason, 0) + 1
    return counts
