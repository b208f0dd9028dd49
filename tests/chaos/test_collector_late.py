"""A kiosk offline for seven days delivers its backlog: every press lands in its own local day."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import psycopg

from devstack.mosquitto import LocalMosquitto
from protocol import Face, Heartbeat, Rating, encode
from tests.fixtures.fix_collector import CollectorProcess
from tests.fixtures.fix_kiosk_mqtt import Publisher
from tests.fixtures.kiosk_messages import heartbeat, rating, topic_of, wire
from tests.fixtures.prometheus import scrape
from tests.waiting import wait_for

ROME = ZoneInfo("Europe/Rome")


def backlog(today: date, boot_started: datetime, boot: uuid.UUID) -> tuple[list[Rating], Counter[tuple[date, str]]]:
    """Presses of the last seven local days, some a few seconds either side of midnight; the last two
    days' presses come from a boot whose clock never synchronised (no network, no NTP)."""
    ratings: list[Rating] = []
    expected = Counter[tuple[date, str]]()
    faces = list(Face)
    seq = 0
    for back in range(7, 0, -1):
        day = today - timedelta(days=back)
        moments = [time(0, 0, 20), time(9, 15), time(12, 40), time(17, 5), time(23, 59, 40)]
        for n, moment in enumerate(moments):
            at = datetime.combine(day, moment, ROME).astimezone(UTC)
            seq += 1
            face = faces[(seq + n) % 3]
            synced = back > 2
            uptime = int((at - boot_started).total_seconds() * 1000) if not synced else 1000
            ratings.append(
                rating(
                    "late-k1",
                    seq,
                    service_point="late-sp",
                    face=face,
                    pressed_at=at,
                    synced=synced,
                    boot_id=boot,
                    uptime_ms=uptime,
                )
            )
            expected[(day, face.value)] += 1
    return ratings, expected


def test_seven_days_late_land_in_their_days(
    broker: LocalMosquitto, collector: CollectorProcess, publisher: Publisher, database_url: str
) -> None:
    today = datetime.now(ROME).date()
    boot = uuid.uuid4()
    boot_started = datetime.combine(today - timedelta(days=3), time(6, 0), ROME).astimezone(UTC)
    ratings, expected = backlog(today, boot_started, boot)
    # Back online: the kiosk announces itself with a heartbeat of its (still unsynchronised) boot, then drains.
    hb: Heartbeat = heartbeat("late-k1", boot, int((datetime.now(UTC) - boot_started).total_seconds() * 1000))
    publisher.send_all([(topic_of("org", hb), encode(hb)), *wire("org", ratings)])

    def stored() -> int:
        with psycopg.connect(database_url) as conn:
            row = conn.execute("SELECT count(*) FROM ratings").fetchone()
            return int(row[0]) if row else 0

    assert wait_for(lambda: stored() == len(ratings), 30)
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT day, positive, neutral, negative, misuse FROM rollup_daily WHERE service_point_id = 'late-sp'"
        ).fetchall()
        sources: Counter[object] = Counter(
            dict(conn.execute("SELECT time_source::text, count(*) FROM ratings GROUP BY 1").fetchall())
        )
    got = Counter[tuple[date, str]]()
    for day, positive, neutral, negative, misuse in rows:
        assert misuse == 0
        for face, n in (("positive", positive), ("neutral", neutral), ("negative", negative)):
            if n:
                got[(day, face)] = n
    assert got == expected
    assert sources == {"kiosk": 25, "anchored": 10}
    # Writers commit in parallel: a batch of ratings may commit before the batch with the heartbeat, placing
    # some provisionally; each such rating is then moved by the heartbeat's anchor (none stays provisional).
    metrics = scrape(collector.url, collector.token)
    assert metrics["mlf_ingest_ratings_provisional_time_total"] == metrics["mlf_ingest_ratings_reanchored_total"]
