"""10,000 malformed or hostile messages: every one quarantined with a reason, every valid rating sent among
them stored, and the collector still ingesting: valid ratings sent after them are stored too (that, not
`/healthz`, is the proof of life: two heartbeats with a huge uptime once killed both writers while
`/healthz` said ok). Deterministic (seeded), bounded in count and time."""

from __future__ import annotations

import json
import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from psycopg import sql

from devstack.mosquitto import LocalMosquitto
from protocol import Heartbeat, ProtocolError, Rating, TopicKind, build_topic, encode, parse_message
from tests.fixtures.fix_collector import CollectorProcess
from tests.fixtures.fix_kiosk_mqtt import Publisher
from tests.fixtures.kiosk_messages import BOOT, heartbeat, rating, topic_of
from tests.fixtures.prometheus import scrape
from tests.waiting import wait_for

HOSTILE = 10_000
VALID_KIOSKS, VALID_PER_KIOSK = 5, 100
AFTER_PER_KIOSK = 20
NOW = datetime.now(UTC).replace(microsecond=0)
KNOWN_REASONS = {"not_json", "not_utf8", "schema", "too_large", "identity_mismatch", "bad_topic", "absurd_time"}


def corrupted(model: Rating | Heartbeat, rng: random.Random) -> bytes:
    """The model's JSON with one field given a wrong type, a wrong value, or an extra field."""
    body: dict[str, Any] = json.loads(encode(model))
    field = rng.choice(sorted(body))
    body[field] = rng.choice(
        [
            None,
            -1,
            "",
            "x" * rng.randint(64, 5000),
            [1, 2],
            {"$gt": ""},
            1e308,
            "\u0000",
            "'; DROP TABLE ratings; --",
            True,
            "2026-13-45T99:99:99Z",
        ]
    )
    payload = json.dumps(body).encode()
    try:
        parse_message(topic_of("org", model), payload)
    except ProtocolError:
        return payload
    body["unexpected"] = "field"  # that value happened to be valid there: make sure the message is not
    return json.dumps(body).encode()


def beyond_columns(kiosk: str, rng: random.Random) -> bytes:
    """A heartbeat, well formed but for one number or time that no column of ours can hold."""
    body: dict[str, Any] = json.loads(encode(heartbeat(kiosk, BOOT, 1000)))
    field, value = rng.choice(
        [
            ("uptime_ms", 10**17),
            ("uptime_ms", 2**63),
            ("outbox_depth", 10**20),
            ("ignored_presses", 2**64),
            ("config_revision", 2**63),
            ("sent_at", "0001-01-01T00:00:00+14:00"),
        ]
    )
    if field == "uptime_ms":
        body["clock"]["uptime_ms"] = value
    else:
        body[field] = value
    return json.dumps(body).encode()


def hostile(rng: random.Random, i: int) -> tuple[str, bytes, str | None]:
    """One hostile message: topic, payload, and the reason it must get (None: one of several)."""
    good = rating(f"hk{i % VALID_KIOSKS}", 1 + i % VALID_PER_KIOSK, pressed_at=NOW - timedelta(minutes=5))
    topic = topic_of("org", good)
    kind = i % 12
    if kind == 0:
        return topic, rng.randbytes(rng.randint(0, 300)), None
    if kind == 1:
        return topic, json.dumps({"event_id": "a" * rng.randint(17_000, 200_000)}).encode(), "too_large"
    if kind == 2:
        return topic, corrupted(good, rng), None
    if kind == 3:
        hb = heartbeat(good.kiosk_id, BOOT, 1000)
        return build_topic("org", good.kiosk_id, TopicKind.HEARTBEAT), corrupted(hb, rng), None
    if kind == 4:
        when = rng.choice(
            [datetime(2099, 1, 1, tzinfo=UTC), datetime(1999, 1, 1, tzinfo=UTC), NOW + timedelta(hours=1)]
        )
        absurd = rating(f"evil-{i}", 1, pressed_at=when)
        return topic_of("org", absurd), encode(absurd), "absurd_time"
    if kind == 5:
        return topic_of("org", good, kiosk=f"hk{(i + 1) % VALID_KIOSKS}"), encode(good), "identity_mismatch"
    if kind == 6:
        bad_topic = rng.choice(["mlf/v1/ORG/hk0/rating", "mlf/v1/org/" + "k" * 200 + "/rating", "mlf/v1/o rg/k/status"])
        return bad_topic, encode(good), "bad_topic"
    if kind == 7:
        return topic, b"[" * 5000 + b"]" * 5000, "not_json"
    if kind == 8:
        return topic, rng.choice([b"", b"null", b"NaN", b"{}", b'"rating"', b"\xff\xfe\x00"]), None
    if kind == 10:
        return build_topic("org", good.kiosk_id, TopicKind.HEARTBEAT), beyond_columns(good.kiosk_id, rng), "schema"
    if kind == 11:
        body = json.loads(encode(good))
        body["clock"]["uptime_ms"] = rng.choice([2**63, 2**64, 10**17, 10**30])
        body["clock"]["synced"] = rng.choice([True, False])
        return topic, json.dumps(body).encode(), "schema"
    return build_topic("org", good.kiosk_id, TopicKind.STATUS), rng.choice([b'{"state":"exploded"}', b"1"]), "schema"


def test_hostile_payloads_are_quarantined_and_valid_ones_stored(
    broker: LocalMosquitto, collector: CollectorProcess, publisher: Publisher, database_url: str
) -> None:
    rng = random.Random(20261123)
    valid = [
        rating(f"hk{k}", s, pressed_at=NOW - timedelta(hours=2) + timedelta(seconds=30 * s))
        for s in range(1, VALID_PER_KIOSK + 1)
        for k in range(VALID_KIOSKS)
    ]
    attacks = [hostile(rng, i) for i in range(HOSTILE)]
    stream = [(t, p) for t, p, _ in attacks]
    for n, r in enumerate(valid):
        stream.insert(n * (len(stream) // len(valid)), (topic_of("org", r), encode(r)))
    publisher.send_all(stream)
    after = [
        rating(f"hk{k}", s, pressed_at=NOW - timedelta(minutes=30) + timedelta(seconds=30 * (s - VALID_PER_KIOSK)))
        for s in range(VALID_PER_KIOSK + 1, VALID_PER_KIOSK + AFTER_PER_KIOSK + 1)
        for k in range(VALID_KIOSKS)
    ]
    publisher.send_all((topic_of("org", r), encode(r)) for r in after)

    def count(table: str) -> int:
        with psycopg.connect(database_url) as conn:
            row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))).fetchone()
            return int(row[0]) if row else 0

    assert wait_for(lambda: count("ratings") >= len(valid) + len(after), timeout=120), (
        f"the collector stopped ingesting: {count('ratings')} of {len(valid) + len(after)} valid ratings stored"
    )
    assert wait_for(lambda: count("quarantine") >= HOSTILE, timeout=30), count("quarantine")
    with psycopg.connect(database_url) as conn:
        reasons: Counter[Any] = Counter(
            dict(conn.execute("SELECT reason, count(*) FROM quarantine GROUP BY reason").fetchall())
        )
        stored = conn.execute("SELECT count(*), count(DISTINCT event_id) FROM ratings").fetchone()
        acked: dict[object, object] = dict(
            conn.execute("SELECT kiosk_id, acked_seq FROM kiosk_instances ORDER BY kiosk_id").fetchall()
        )
        sizes = conn.execute("SELECT max(length(payload)), max(payload_size) FROM quarantine").fetchone()
    assert sum(reasons.values()) == HOSTILE
    assert set(reasons) <= KNOWN_REASONS, reasons
    for reason, n in Counter(r for _, _, r in attacks if r).items():
        assert reasons[reason] >= n, (reason, reasons)
    assert stored == (len(valid) + len(after), len(valid) + len(after))
    total = VALID_PER_KIOSK + AFTER_PER_KIOSK
    assert acked == {f"hk{k}": total for k in range(VALID_KIOSKS)}, "no kiosk was registered by a forgery"
    assert sizes is not None
    assert sizes[0] <= 4096 < int(sizes[1]), "payloads are kept truncated, sizes in full"

    metrics = scrape(collector.url, collector.token)
    by_reason = {k: v for k, v in metrics.items() if k.startswith("mlf_ingest_quarantined_total{")}
    assert sum(by_reason.values()) == HOSTILE
    assert by_reason['mlf_ingest_quarantined_total{reason="too_large"}'] == reasons["too_large"]
    assert metrics["mlf_ingest_ratings_stored_total"] == len(valid) + len(after)
