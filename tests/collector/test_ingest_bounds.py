"""Numbers and times at the edge of what a column holds: quarantined with a reason, never an exception.

A heartbeat with `uptime_ms = 10**17` once raised `OverflowError` inside the batch's transaction and took its
writer thread down (issue 10); a rating's `uptime_ms >= 2^63` broke the COPY into a bigint column.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from collector.ingest.messages import Inbound
from protocol import TopicKind, build_topic, encode
from tests.fixtures.kiosk_messages import heartbeat, rating, write

Conn = psycopg.Connection[tuple[object, ...]]
NOW = datetime.now(UTC).replace(microsecond=0)


def _heartbeat(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(encode(heartbeat("k1", uuid.uuid4(), 5000, synced=True)))
    for key, value in changes.items():
        if key == "uptime_ms":
            body["clock"]["uptime_ms"] = value
        else:
            body[key] = value
    return body


def _rating(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(encode(rating("k1", 2, pressed_at=NOW - timedelta(minutes=1))))
    for key, value in changes.items():
        if key in ("uptime_ms", "synced"):
            body["clock"][key] = value
        else:
            body[key] = value
    return body


HOSTILE = [
    (TopicKind.HEARTBEAT, _heartbeat(uptime_ms=10**17), "uptime_ms"),
    (TopicKind.HEARTBEAT, _heartbeat(uptime_ms=2**63), "uptime_ms"),
    (TopicKind.HEARTBEAT, _heartbeat(outbox_depth=10**20), "outbox_depth"),
    (TopicKind.HEARTBEAT, _heartbeat(last_seq=2**64), "last_seq"),
    (TopicKind.HEARTBEAT, _heartbeat(config_revision=2**63), "config_revision"),
    (TopicKind.HEARTBEAT, _heartbeat(oldest_pending_age_s=1e308), "oldest_pending_age_s"),
    (TopicKind.HEARTBEAT, _heartbeat(sent_at="0001-01-01T00:00:00+14:00"), "sent_at"),
    (TopicKind.HEARTBEAT, _heartbeat(sent_at="9999-12-31T23:59:59-14:00"), "sent_at"),
    (TopicKind.RATING, _rating(uptime_ms=2**63), "uptime_ms"),
    (TopicKind.RATING, _rating(uptime_ms=2**63, synced=False), "uptime_ms"),
    (TopicKind.RATING, _rating(uptime_ms=10**17, synced=False), "uptime_ms"),
    (TopicKind.RATING, _rating(pressed_at="0001-01-01T00:00:00+14:00", synced=False), "pressed_at"),
    (TopicKind.RATING, _rating(pressed_at="9999-12-31T23:59:59-14:00", synced=False), "pressed_at"),
]


@pytest.mark.parametrize(("kind", "body", "field"), HOSTILE)
def test_out_of_range_is_quarantined_and_the_rest_of_the_batch_stored(
    db: Conn, kind: TopicKind, body: Any, field: str
) -> None:
    good = rating("k1", 1, pressed_at=NOW - timedelta(minutes=2))
    hostile = Inbound(build_topic("org", "k1", kind), json.dumps(body).encode(), NOW, qos=1)
    result = write(db, [Inbound(build_topic("org", "k1", TopicKind.RATING), encode(good), NOW, qos=1), hostile])
    assert (result.stored, result.quarantined) == (1, {"schema": 1})
    row = db.execute("SELECT reason, detail FROM quarantine").fetchone()
    assert row is not None
    assert row[0] == "schema"
    assert field in str(row[1])
