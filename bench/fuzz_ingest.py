"""Fuzzing a live collector: at least 100,000 generated messages, valid ones interleaved with every kind of junk.

Hypothesis generates the messages: valid ratings of a small fleet, exact resends of earlier ones, and
invalid ones of every sort (random bytes, random JSON, a valid rating with one field broken, removed or
added, a wrong topic, a truncated payload, a rating on the heartbeat topic, an absurd time, a kiosk id
that disagrees with the topic). Each goes through a channel into the real collector (its own process,
real mosquitto, real PostgreSQL):

    mqtt    published with QoS 1 on `mlf/v1/<org>/<kiosk>/<kind>`, as kiosks do
    http    POSTed in batches to `/v1/organisations/<org>/ratings`, as the phone and web channels do
            (a body that is not a JSON array of 1..1000 items is refused whole, with its reason)

A new ingest API (a channel ratings API, say) is one more `Channel` class here.

The expected fate of every message is the collector's own pure classification (`collector.ingest.messages`),
computed here before sending; the verdict compares it with what the database holds afterwards: every
valid rating stored once, every refused one quarantined with the expected reason (counted by reason),
no `internal_error` (a bug of ours caught), the collector never restarted, no traceback in its log.

    .venv/bin/python bench/fuzz_ingest.py                          # 100,000 messages per channel
    .venv/bin/python bench/fuzz_ingest.py --messages 5000          # a quick look
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from services import Collector, mqtt_client, stack

from collector.ingest.messages import Inbound, Rejection, classify_safely
from protocol import Face, KioskClock, Rating, TopicKind, build_topic, encode

ORG = "fuzz"
KIOSKS = [f"fuzz-k{i}" for i in range(1, 21)]
KINDS = ("rating", "heartbeat", "status")
RATING_FIELDS = tuple(Rating.model_fields)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
# What MQTT allows in a topic level: mosquitto itself disconnects a publisher whose topic holds a control
# character or a non-character (malformed UTF-8 for MQTT), so such topics never reach the collector.
topic_level = st.text(
    st.characters(exclude_categories=["Cs", "Cc", "Cn"], exclude_characters="/+#"), min_size=0, max_size=70
)
recipes = st.one_of(
    st.tuples(st.just("valid"), st.sampled_from(KIOSKS), st.sampled_from(Face), st.booleans(), st.integers(0, 1380)),
    st.tuples(st.just("resend"), st.integers(0, 10**6)),
    st.tuples(st.just("bytes"), st.sampled_from(KINDS), st.binary(max_size=600)),
    st.tuples(st.just("json"), st.sampled_from(KINDS), json_values),
    st.tuples(st.just("drop"), st.sampled_from(KIOSKS), st.sampled_from(RATING_FIELDS)),
    st.tuples(st.just("set"), st.sampled_from(KIOSKS), st.sampled_from(RATING_FIELDS), json_values),
    st.tuples(st.just("extra"), st.sampled_from(KIOSKS), st.text(min_size=1, max_size=12), json_values),
    st.tuples(st.just("time"), st.sampled_from(KIOSKS), st.sampled_from([-600, -450, 1, 30]).map(timedelta)),
    st.tuples(st.just("topic"), topic_level, topic_level, st.sampled_from(KINDS)),
    st.tuples(st.just("truncate"), st.sampled_from(KIOSKS), st.floats(0, 0.99)),
    st.tuples(st.just("other-kind"), st.sampled_from(KIOSKS), st.sampled_from(("heartbeat", "status"))),
    st.tuples(st.just("impostor"), st.sampled_from(KIOSKS), st.sampled_from(KIOSKS)),
)


@dataclass
class Generator:
    """Turns hypothesis' recipes into (topic, payload) with a fleet's running sequence numbers."""

    seqs: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KIOSKS, 0))
    valid: list[tuple[str, bytes]] = field(default_factory=list)
    boot: uuid.UUID = field(default_factory=uuid.uuid4)

    def rating(self, kiosk: str, face: Face = Face.POSITIVE, reason: bool = False, minutes_ago: int = 5) -> Rating:
        self.seqs[kiosk] += 1
        return Rating(
            event_id=uuid.uuid4(),
            kiosk_id=kiosk,
            seq=self.seqs[kiosk],
            service_point=f"{kiosk}-sportello",
            service="anagrafe",
            face=face,
            reason="waiting-time" if reason and face is Face.NEGATIVE else None,
            pressed_at=datetime.now(UTC) - timedelta(minutes=minutes_ago),
            clock=KioskClock(boot_id=self.boot, uptime_ms=self.seqs[kiosk] * 1000, synced=True),
        )

    def message(self, recipe: tuple[Any, ...]) -> tuple[str, bytes]:
        kind, *rest = recipe
        topic = f"mlf/v1/{ORG}/{KIOSKS[0]}/rating"
        if kind == "valid":
            kiosk, face, reason, minutes = rest
            topic, payload = (
                build_topic(ORG, kiosk, TopicKind.RATING),
                encode(self.rating(kiosk, face, reason, minutes)),
            )
            self.valid.append((topic, payload))
            return topic, payload
        if kind == "resend":
            return self.valid[rest[0] % len(self.valid)] if self.valid else (topic, b"")
        if kind == "bytes":
            return f"mlf/v1/{ORG}/{KIOSKS[1]}/{rest[0]}", rest[1]
        if kind == "json":
            return f"mlf/v1/{ORG}/{KIOSKS[2]}/{rest[0]}", json.dumps(rest[1]).encode()
        if kind == "topic":
            return f"mlf/v1/{rest[0]}/{rest[1]}/{rest[2]}", encode(self.rating(KIOSKS[3]))
        kiosk = rest[0]
        topic = build_topic(ORG, kiosk, TopicKind.RATING)
        body = json.loads(encode(self.rating(kiosk)))
        if kind == "drop":
            body.pop(rest[1], None)
        elif kind == "set" or kind == "extra":
            body[rest[1]] = rest[2]
        elif kind == "time":
            body["pressed_at"] = (datetime.now(UTC) + rest[1]).isoformat()
        elif kind == "truncate":
            text = json.dumps(body).encode()
            return topic, text[: int(len(text) * rest[1])]
        elif kind == "other-kind":
            topic = build_topic(ORG, kiosk, TopicKind(rest[1]))
        elif kind == "impostor":
            topic = build_topic(ORG, rest[1], TopicKind.RATING)
        return topic, json.dumps(body, allow_nan=True).encode()


class Channel:
    """How messages reach the collector; `expected` says what the collector must have done with them."""

    name = ""

    def __init__(self) -> None:
        self.sent = 0
        self.valid_ids: set[str] = set()
        self.reasons: Counter[str] = Counter()
        self.refused_whole: Counter[str] = Counter()

    def expect(self, topic: str, payload: bytes) -> None:
        verdict = classify_safely(Inbound(topic, payload, datetime.now(UTC)))
        if isinstance(verdict, Rejection):
            self.reasons[verdict.reason] += 1
        elif hasattr(verdict, "rating"):
            self.valid_ids.add(str(verdict.rating.event_id))

    def send(self, batch: list[tuple[str, bytes]]) -> None:
        raise NotImplementedError

    def close(self) -> None:
        pass


class MqttChannel(Channel):
    name = "mqtt"

    def __init__(self, port: int) -> None:
        super().__init__()
        self.client = mqtt_client("fuzz-publisher")
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def send(self, batch: list[tuple[str, bytes]]) -> None:
        infos = [self.client.publish(topic, payload, qos=1) for topic, payload in batch]
        for (topic, payload), info in zip(batch, infos, strict=True):
            info.wait_for_publish(60)
            self.expect(topic, payload)
        self.sent += len(batch)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


class HttpChannel(Channel):
    """`POST /v1/organisations/{org}/ratings`: items are the payloads (the topic is built from each item)."""

    name = "http"

    def __init__(self, collector: Collector, token: str) -> None:
        super().__init__()
        self.url, self.token = collector.url + f"/v1/organisations/{ORG}/ratings", token
        self.answered: Counter[str] = Counter()
        self.requests = 0

    def post(self, body: bytes) -> Any:
        """The answer, or None for a request refused whole (counted by status and problem type)."""
        request = urllib.request.Request(  # noqa: S310 - loopback
            self.url, body, {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - loopback
                return json.load(response)
        except urllib.error.HTTPError as exc:
            problem = json.load(exc)
            self.refused_whole[f"{exc.code} {problem.get('title', '')}: {problem.get('detail', '')}"] += 1
            return None

    def send(self, batch: list[tuple[str, bytes]]) -> None:
        self.requests += 1
        if self.requests % 25 == 0:  # now and then a body that is refused whole: not an array, not JSON
            self.post(b'{"not": "an array"}' if self.requests % 50 else b"[{]")
        items: list[Any] = []
        for _, payload in batch:
            try:
                items.append(json.loads(payload))
            except ValueError:
                items.append(payload.decode(errors="replace"))  # not JSON: sent as a JSON string instead
        answer = self.post(json.dumps(items).encode())
        if answer is None:
            return
        for item in items:
            kiosk = item.get("kiosk_id") if isinstance(item, dict) else None
            try:
                topic = build_topic(ORG, kiosk if isinstance(kiosk, str) else "", TopicKind.RATING)
            except ValueError:
                topic = f"http/{ORG}/rating"
            self.expect(topic, json.dumps(item).encode())
        self.answered.update(answer["quarantined"])
        self.sent += len(items)


def generate(channel: Channel, messages: int, batch: int, rng_seed: int) -> None:
    """Hypothesis draws `batch` recipes per example until `messages` are sent (examples it discards as too
    large do not count, so it may take more than one pass)."""
    gen = Generator()
    for attempt in range(100):
        if channel.sent >= messages:
            return

        @seed(rng_seed + attempt)
        @settings(
            max_examples=-(-(messages - channel.sent) // batch),
            database=None,
            deadline=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(st.lists(recipes, min_size=batch, max_size=batch))
        def one_round(drawn: list[tuple[Any, ...]]) -> None:
            channel.send([gen.message(r) for r in drawn])

        one_round()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=100_000, help="per channel")
    parser.add_argument("--channels", default="mqtt,http")
    parser.add_argument("--batch", type=int, default=50, help="messages per hypothesis example (and HTTP request)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    with stack("fuzz", durable=False, COLLECTOR_MISUSE_MAX_PRESSES="1000") as run:
        channels: list[Channel] = []
        for name in args.channels.split(","):
            channel = (
                MqttChannel(run.broker.port)
                if name == "mqtt"
                else HttpChannel(run.collector, run.collector.api_key("ingest"))
            )
            began = time.monotonic()
            generate(channel, args.messages, args.batch, args.seed)
            channel.close()
            print(f"{channel.name}: {channel.sent} messages in {time.monotonic() - began:.0f} s", flush=True)
            channels.append(channel)
        return verdict(run.database_url, run.collector, channels)


def verdict(database_url: str, collector: Collector, channels: list[Channel]) -> int:
    expected_ids = set().union(*(c.valid_ids for c in channels))
    expected_reasons: Counter[str] = sum((c.reasons for c in channels), Counter())
    deadline = time.monotonic() + 300
    while True:
        with psycopg.connect(database_url) as conn:
            stored = {str(e) for (e,) in conn.execute("SELECT event_id::text FROM ratings")}
            total = conn.execute("SELECT count(*) FROM ratings").fetchone()
            quarantined = Counter(
                {str(r): int(n) for r, n in conn.execute("SELECT reason, count(*) FROM quarantine GROUP BY 1")}
            )
        if (stored >= expected_ids and quarantined == expected_reasons) or time.monotonic() > deadline:
            break
        time.sleep(1)
    checks = {
        "every valid rating stored": expected_ids <= stored,
        "nothing else stored, each once": total == (len(expected_ids),) and stored == expected_ids,
        "every refused message quarantined with the expected reason": quarantined == expected_reasons,
        "no internal_error (a bug caught on odd input)": quarantined["internal_error"] == 0,
        "the collector never restarted, still healthy": collector.starts == 1
        and collector.alive
        and collector.healthy(),
        "no traceback in the collector's log": collector.tracebacks() == 0,
    }
    for c in channels:
        if isinstance(c, HttpChannel):
            checks["http: each answer's quarantine counts == expected"] = c.answered == c.reasons
    print("\n=== fuzz report ===")
    for c in channels:
        print(f"{c.name}: {c.sent} messages sent, {len(c.valid_ids)} valid ratings, {sum(c.reasons.values())} refused")
        if c.refused_whole:
            print(f"  requests refused whole: {dict(c.refused_whole)}")
    print(f"stored {len(stored)} ratings; quarantined by reason: {dict(sorted(quarantined.items()))}")
    if quarantined != expected_reasons:
        print(f"  expected by reason: {dict(sorted(expected_reasons.items()))}")
    for name, ok in checks.items():
        print(f"  {'PASS' if ok else 'FAIL'}  {name}")
    ok = all(checks.values())
    print("RESULT:", "PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
