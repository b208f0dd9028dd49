"""Property: whatever arrives in whatever order, the rollups equal aggregates over the raw rows.

Scenarios mix synchronised and unsynchronised kiosks (placed by heartbeats that may come
late, and improve), duplicates, lost ratings (gaps), bursts of misuse, and presses around
midnight, month ends and both DST changes of Europe/Rome in 2026.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collector.ingest.messages import Inbound
from collector.store.misuse import MisuseRule
from protocol import Face
from tests.fixtures.kiosk_messages import heartbeat, inbound, rating, write

Conn = psycopg.Connection[tuple[object, ...]]
ROME = ZoneInfo("Europe/Rome")
RULE = MisuseRule(max_presses=2, window=timedelta(minutes=10))
RECEIVED = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
INSTANTS = [
    datetime(2025, 12, 31, 23, 0, tzinfo=UTC),  # local midnight: 2026 begins (the yearly tier's edge)
    datetime(2026, 3, 28, 23, 0, tzinfo=UTC),  # local midnight before the spring change
    datetime(2026, 3, 29, 1, 0, tzinfo=UTC),  # 02:00 CET becomes 03:00 CEST
    datetime(2026, 3, 29, 22, 0, tzinfo=UTC),  # local midnight after it (a 23-hour day)
    datetime(2026, 3, 31, 22, 0, tzinfo=UTC),  # April begins
    datetime(2026, 10, 24, 22, 0, tzinfo=UTC),  # local midnight starting the 25-hour day
    datetime(2026, 10, 25, 1, 0, tzinfo=UTC),  # 03:00 CEST becomes 02:00 CET
    datetime(2026, 10, 25, 23, 0, tzinfo=UTC),  # local midnight ending it
    datetime(2026, 10, 31, 23, 0, tzinfo=UTC),  # November begins
]
KIOSKS = ("k1", "k2")
TABLES = (
    "ratings, rating_keys, rollup_hourly, rollup_daily, rollup_monthly, rollup_monthly_points, rollup_yearly_points,"
    " reason_daily,"
    " kiosk_boots,"
    " sequence_gaps, quarantine, kiosks, services, service_points, sites, organisations"
)


@dataclass(frozen=True)
class Press:
    kiosk: int
    boot: int  # 0: synchronised clock; 1, 2: unsynchronised boots
    at: datetime
    face: Face
    reason: bool
    service: bool
    copies: int  # 0: lost on the way (a gap), 2+: redelivered


presses = st.builds(
    Press,
    kiosk=st.integers(0, 1),
    boot=st.integers(0, 2),
    at=st.builds(
        lambda base, minutes, seconds: base + timedelta(minutes=minutes, seconds=seconds),
        st.sampled_from(INSTANTS),
        st.integers(-90, 90),
        st.integers(0, 59),
    ),
    face=st.sampled_from(Face),
    reason=st.booleans(),
    service=st.booleans(),
    copies=st.sampled_from([0, 1, 1, 1, 2, 3]),
)


@dataclass(frozen=True)
class Scenario:
    presses: list[Press]
    heartbeat_delays_ms: list[tuple[int, int, int]]  # (kiosk, boot, network delay of that heartbeat)
    order_seed: int
    batch_sizes: list[int]


scenarios = st.builds(
    Scenario,
    presses=st.lists(presses, min_size=1, max_size=30),
    heartbeat_delays_ms=st.lists(
        st.tuples(st.integers(0, 1), st.integers(1, 2), st.sampled_from([0, 500, 5_000, 90_000])), max_size=5
    ),
    order_seed=st.integers(0, 2**32 - 1),
    batch_sizes=st.lists(st.integers(1, 12), min_size=1, max_size=8),
)


def boot_id(kiosk: int, boot: int) -> uuid.UUID:
    return uuid.UUID(int=kiosk * 16 + boot)


def boot_start(boot: int) -> datetime:
    """When each unsynchronised boot really started: before every press of the scenario."""
    return datetime(2025, 12, 1, tzinfo=UTC) + timedelta(days=boot)


def messages(scenario: Scenario) -> list[Inbound]:
    import random

    out: list[Inbound] = []
    seqs = Counter[int]()
    for i, p in enumerate(scenario.presses):
        seqs[p.kiosk] += 1
        kiosk = KIOSKS[p.kiosk]
        negative = p.face is Face.NEGATIVE
        model = rating(
            kiosk,
            seqs[p.kiosk],
            service_point=f"{kiosk}-sp",
            face=p.face,
            reason="waiting-time" if negative and p.reason else None,
            service="anagrafe" if p.service else None,
            pressed_at=p.at,
            synced=p.boot == 0,
            boot_id=boot_id(p.kiosk, p.boot),
            uptime_ms=int((p.at - boot_start(p.boot)).total_seconds() * 1000),
            event_id=uuid.UUID(int=1000 + i),
        )
        out += [inbound("po", model, RECEIVED + timedelta(seconds=i))] * p.copies
    for j, (k, b, delay) in enumerate(scenario.heartbeat_delays_ms):
        received = RECEIVED + timedelta(minutes=1, seconds=j)
        uptime = int((received - boot_start(b)).total_seconds() * 1000) - delay
        out.append(inbound("po", heartbeat(KIOSKS[k], boot_id(k, b), uptime), received))
    random.Random(scenario.order_seed).shuffle(out)
    return out


def deliver(db: Conn, scenario: Scenario) -> None:
    pending = messages(scenario)
    sizes = iter(scenario.batch_sizes * 50)
    while pending:
        n = next(sizes)
        write(db, pending[:n], misuse=RULE, timezone="Europe/Rome")
        pending = pending[n:]


def aggregate(db: Conn, key: str, table: str, column: str) -> set[tuple[object, ...]]:
    counts = (
        "count(*) FILTER (WHERE face = 'positive' AND NOT misuse), count(*) FILTER (WHERE face = 'neutral' AND NOT"
        " misuse), count(*) FILTER (WHERE face = 'negative' AND NOT misuse), count(*) FILTER (WHERE misuse),"
        " count(*) FILTER (WHERE time_source = 'received' AND NOT misuse)"
    )
    raw = db.execute(
        f"SELECT {key}, service_point_id, coalesce(service_id, ''), channel::text, {counts}"  # noqa: S608
        " FROM ratings r JOIN organisations o ON o.id = r.org_id GROUP BY 1, 2, 3, 4".encode()
    ).fetchall()
    kept = db.execute(
        f"SELECT {column}, service_point_id, service_id, channel::text,"  # noqa: S608
        f" positive, neutral, negative, misuse, provisional FROM {table}".encode()
    ).fetchall()
    assert set(kept) == set(raw), f"{table} differs from the raw rows"
    return set(kept)


def local_day_counts(db: Conn) -> Counter[tuple[date, str]]:
    """Per local day and face, computed in Python from the raw instants (independent of SQL time zones)."""
    rows: list[tuple[Any, ...]] = db.execute("SELECT pressed_at, face::text FROM ratings WHERE NOT misuse").fetchall()
    return Counter((at.astimezone(ROME).date(), face) for at, face in rows)


def expected_misuse(db: Conn) -> set[uuid.UUID]:
    rows: list[tuple[Any, ...]] = db.execute("SELECT event_id, kiosk_id, pressed_at FROM ratings").fetchall()
    marked = set()
    for event, kiosk, at in rows:
        window = [1 for _, k, t in rows if k == kiosk and at - RULE.window <= t <= at]
        if len(window) > RULE.max_presses:
            marked.add(event)
    return marked


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(scenario=scenarios)
def test_rollups_equal_aggregates_over_raw_rows(backend_db: Conn, scenario: Scenario) -> None:
    db = backend_db
    db.execute(f"TRUNCATE {TABLES} CASCADE".encode())
    deliver(db, scenario)

    delivered = {i for i, p in enumerate(scenario.presses) if p.copies}
    stored = db.execute("SELECT event_id FROM ratings").fetchall()
    assert sorted(e.int - 1000 for (e,) in stored) == sorted(delivered)  # type: ignore[attr-defined]

    aggregate(db, "date_trunc('hour', pressed_at, 'UTC')", "rollup_hourly", "bucket")
    aggregate(db, "(pressed_at AT TIME ZONE o.timezone)::date", "rollup_daily", "day")
    aggregate(db, "date_trunc('month', pressed_at AT TIME ZONE o.timezone)::date", "rollup_monthly", "month")
    per_point = db.execute(
        "SELECT date_trunc('month', pressed_at AT TIME ZONE o.timezone)::date, service_point_id,"
        " count(*) FILTER (WHERE face = 'positive' AND NOT misuse), count(*) FILTER (WHERE face = 'neutral'"
        " AND NOT misuse), count(*) FILTER (WHERE face = 'negative' AND NOT misuse), count(*) FILTER (WHERE misuse)"
        " FROM ratings r JOIN organisations o ON o.id = r.org_id GROUP BY 1, 2"
    ).fetchall()
    kept_points = db.execute(
        "SELECT month, service_point_id, positive, neutral, negative, misuse FROM rollup_monthly_points"
    ).fetchall()
    assert set(kept_points) == set(per_point)
    per_year = db.execute(
        "SELECT date_trunc('year', pressed_at AT TIME ZONE o.timezone)::date, service_point_id,"
        " count(*) FILTER (WHERE face = 'positive' AND NOT misuse), count(*) FILTER (WHERE face = 'neutral'"
        " AND NOT misuse), count(*) FILTER (WHERE face = 'negative' AND NOT misuse), count(*) FILTER (WHERE misuse),"
        " count(*) FILTER (WHERE time_source = 'received' AND NOT misuse)"
        " FROM ratings r JOIN organisations o ON o.id = r.org_id GROUP BY 1, 2"
    ).fetchall()
    kept_years = db.execute(
        "SELECT year, service_point_id, positive, neutral, negative, misuse, provisional FROM rollup_yearly_points"
    ).fetchall()
    assert set(kept_years) == set(per_year)
    reasons = db.execute(
        "SELECT (pressed_at AT TIME ZONE 'Europe/Rome')::date, service_point_id, coalesce(service_id, ''), channel,"
        " reason, count(*) FROM ratings WHERE face = 'negative' AND reason IS NOT NULL AND NOT misuse"
        " GROUP BY 1, 2, 3, 4, 5"
    ).fetchall()
    kept = db.execute("SELECT day, service_point_id, service_id, channel, reason, n FROM reason_daily").fetchall()
    assert set(kept) == set(reasons)

    daily = Counter[tuple[date, str]]()
    sums: list[tuple[Any, ...]] = db.execute(
        "SELECT day, sum(positive), sum(neutral), sum(negative) FROM rollup_daily GROUP BY day"
    ).fetchall()
    for day, positive, neutral, negative in sums:
        for face, n in (("positive", positive), ("neutral", neutral), ("negative", negative)):
            if n:
                daily[(day, face)] = int(n)
    assert daily == local_day_counts(db)

    assert {e for (e,) in db.execute("SELECT event_id FROM ratings WHERE misuse").fetchall()} == expected_misuse(db)

    # Synchronised presses sit where the kiosk said; anchored ones where their boot really was
    # (within the network delay of the best heartbeat, plus the anchor's tolerance).
    for event, source, at in db.execute("SELECT event_id, time_source::text, pressed_at FROM ratings").fetchall():
        press = scenario.presses[event.int - 1000]  # type: ignore[attr-defined]
        if source == "kiosk":
            assert at == press.at
        elif source == "anchored":
            assert timedelta(0) <= at - press.at <= timedelta(seconds=92), (at, press.at)  # type: ignore[operator]
        else:
            assert not any(k == press.kiosk and b == press.boot for k, b, _ in scenario.heartbeat_delays_ms)
