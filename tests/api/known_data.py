"""Known ratings stored through the collector's own write path, so the API reads what ingest maintains."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import psycopg

from collector.ingest.messages import Inbound, sort_batch
from collector.store.misuse import MisuseRule
from collector.store.writes import WriteOptions, write_batch
from protocol import Channel, Face, KioskClock, Rating, TopicKind, build_topic, encode

NO_MISUSE_RULE = MisuseRule(max_presses=10**9, window=timedelta(seconds=1))
"""Known data is written fast, without real time between presses: burst detection would mark it."""


@dataclass(frozen=True)
class Press:
    at: datetime
    face: Face
    service_point: str = "sp-1"
    kiosk: str | None = None
    """Default: the service point's own kiosk, `k-1` for `sp-1` (a kiosk rates only its service point)."""
    service: str | None = None
    reason: str | None = None
    channel: Channel = Channel.COUNTER


def press(at: datetime, face: str, **kw: object) -> Press:
    return Press(at, Face(face), **kw)  # type: ignore[arg-type]


def many(at: datetime, counts: dict[str, int], every: timedelta = timedelta(seconds=30), **kw: object) -> list[Press]:
    """`counts` faces, one every `every` from `at` (positives first)."""
    faces = [face for face, n in counts.items() for _ in range(n)]
    return [press(at + i * every, face, **kw) for i, face in enumerate(faces)]


def store(
    database_url: str,
    presses: Iterable[Press],
    org: str = "org",
    timezone: str = "Europe/Rome",
    misuse: MisuseRule = NO_MISUSE_RULE,
) -> list[Rating]:
    """Write the presses through `collector.store.writes.write_batch`; returns the ratings as sent.
    With ingest's own misuse rule (`WriteOptions().misuse`) a burst is marked as ingest marks it."""
    ratings, inbound = [], []
    boot = uuid.uuid4()
    with psycopg.connect(database_url) as conn:
        stored: dict[str, int] = dict(
            conn.execute("SELECT kiosk_id, max(seq) FROM ratings GROUP BY kiosk_id").fetchall()
        )
    seqs = {kiosk: itertools.count(int(last) + 1) for kiosk, last in stored.items()}
    for p in presses:
        kiosk = p.kiosk or f"k-{p.service_point.removeprefix('sp-')}"
        rating = Rating(
            event_id=uuid.uuid4(),
            kiosk_id=kiosk,
            seq=next(seqs.setdefault(kiosk, itertools.count(1))),
            service_point=p.service_point,
            service=p.service,
            channel=p.channel,
            face=p.face,
            reason=p.reason,
            pressed_at=p.at,
            clock=KioskClock(boot_id=boot, uptime_ms=1000, synced=True),
        )
        ratings.append(rating)
        topic = build_topic(org, kiosk, TopicKind.RATING)
        inbound.append(Inbound(topic, encode(rating), p.at + timedelta(seconds=1)))
    with psycopg.connect(database_url) as conn:
        result = write_batch(conn, sort_batch(inbound), WriteOptions(timezone=timezone, misuse=misuse))
    assert result.stored == len(ratings), result
    return ratings


def mark_misuse(database_url: str, ratings: Iterable[Rating]) -> None:
    """Mark stored ratings as misuse the way the contract says ingest does: kept in `ratings`, moved in
    every rollup from their face's column to `misuse`, dropped from reason counts."""
    ids = [r.event_id for r in ratings]
    with psycopg.connect(database_url) as conn, conn.transaction():
        rows = conn.execute(
            "UPDATE ratings r SET misuse = true FROM organisations o WHERE o.id = r.org_id AND event_id = ANY(%s)"
            " AND NOT misuse RETURNING r.service_point_id, coalesce(r.service_id, ''), r.channel, r.face::text,"
            " r.reason, date_trunc('hour', r.pressed_at, 'UTC'), (r.pressed_at AT TIME ZONE o.timezone)::date",
            (ids,),
        ).fetchall()
        for sp, service, channel, face, reason, hour, day in rows:
            for table, column, value in (
                ("rollup_hourly", "bucket", hour),
                ("rollup_daily", "day", day),
                ("rollup_monthly", "month", day.replace(day=1)),
            ):
                conn.execute(
                    f"UPDATE {table} SET {face} = {face} - 1, misuse = misuse + 1 WHERE service_point_id = %s"  # noqa: S608
                    f" AND {column} = %s AND service_id = %s AND channel = %s",
                    (sp, value, service, channel),
                )
            conn.execute(
                f"UPDATE rollup_monthly_points SET {face} = {face} - 1, misuse = misuse + 1"  # noqa: S608
                " WHERE service_point_id = %s AND month = %s",
                (sp, day.replace(day=1)),
            )
            conn.execute(
                f"UPDATE rollup_yearly_points SET {face} = {face} - 1, misuse = misuse + 1"  # noqa: S608
                " WHERE service_point_id = %s AND year = %s",
                (sp, day.replace(month=1, day=1)),
            )
            if reason:
                conn.execute(
                    "UPDATE reason_daily SET n = n - 1 WHERE service_point_id = %s AND day = %s AND service_id = %s"
                    " AND channel = %s AND reason = %s",
                    (sp, day, service, channel, reason),
                )
