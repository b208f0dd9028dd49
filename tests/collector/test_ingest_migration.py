"""Migrations 0010 and on carry a database of the walking skeleton over: keys, times, gaps, rollups, counters."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from collector.store.migrate import migrate
from devstack.postgres import LocalPostgres
from tests.fixtures.migrating import migrate_before

SKELETON_REGISTRY = """
INSERT INTO organisations (id, name) VALUES ('org', 'Org');
INSERT INTO service_points (id, org_id, name) VALUES ('sp', 'org', 'SP');
INSERT INTO kiosks (id, org_id, acked_seq) VALUES ('k1', 'org', 2);
"""
SKELETON_RATINGS = """
INSERT INTO ratings (event_id, org_id, kiosk_id, seq, service_point_id, channel, face, pressed_at, reported_at,
                     received_at, clock_synced, boot_id, uptime_ms) VALUES
 (%s, 'org', 'k1', 1, 'sp', 'counter', 'positive', '2026-11-20 10:00Z', '2026-11-20 10:00Z', '2026-11-20 10:00:01Z',
  true, %s, 1),
 (%s, 'org', 'k1', 2, 'sp', 'counter', 'negative', '1970-01-01 00:00:05Z', '1970-01-01 00:00:05Z',
  '2026-11-21 23:30Z', false, %s, 5000),
 (%s, 'org', 'k1', 5, 'sp', 'counter', 'neutral', '2026-11-22 09:00Z', '2026-11-22 09:00Z', '2026-11-22 09:00Z',
  true, %s, 9);
"""


def test_skeleton_data_is_carried_over(pg_server: LocalPostgres, monkeypatch: pytest.MonkeyPatch) -> None:
    url = pg_server.create_database("carry_over")
    with psycopg.connect(url) as conn:
        migrate_before(conn, "0010", monkeypatch)
        boot = uuid.uuid4()
        conn.execute(SKELETON_REGISTRY.encode())
        conn.execute(SKELETON_RATINGS.encode(), [uuid.uuid4(), boot, uuid.uuid4(), boot, uuid.uuid4(), boot])
        conn.commit()
        assert "0010" in migrate(conn)
        assert conn.execute("SELECT count(*) FROM rating_keys").fetchone() == (3,)
        unsynced = conn.execute("SELECT pressed_at::text, time_source::text FROM ratings WHERE seq = 2").fetchone()
        assert unsynced == ("2026-11-21 23:30:00+00", "received")
        counters = "SELECT instance::text, max_seq, acked_seq FROM kiosk_instances"  # 0070: the kiosk-wide sequence
        assert conn.execute(counters).fetchone() == ("00000000-0000-0000-0000-000000000000", 5, 2)
        assert conn.execute("SELECT first_seq, last_seq FROM sequence_gaps WHERE closed_at IS NULL").fetchall() == [
            (3, 4)
        ]
        daily = conn.execute("SELECT day::text, positive, neutral, negative, provisional FROM rollup_daily ORDER BY 1")
        assert daily.fetchall() == [
            ("2026-11-20", 1, 0, 0, 0),
            ("2026-11-22", 0, 1, 1, 1),  # 23:30 UTC on the 21st is already the 22nd in Rome
        ]
