"""Migration 0180 gives the enrolment codes made before it their stored `replaces`: a replacement when the code's
kiosk was there before the code was made, a new kiosk otherwise (its use made the kiosk, or it named none)."""

from __future__ import annotations

import psycopg
import pytest

from collector.store.migrate import migrate
from devstack.postgres import LocalPostgres
from tests.fixtures.migrating import migrate_before

BEFORE = """
INSERT INTO organisations (id, name) VALUES ('org', 'Org');
INSERT INTO service_points (id, org_id, name) VALUES ('sp', 'org', 'SP');
INSERT INTO kiosks (id, org_id, service_point_id, created_at) VALUES
  ('old', 'org', 'sp', '2026-11-01Z'), ('made-by-code', 'org', 'sp', '2026-11-10Z');
INSERT INTO enrolment_codes (lookup, salt, code_hash, org_id, service_point_id, kiosk_id, created_at, expires_at,
                             redeemed_at, redeemed_kiosk_id, note) VALUES
  ('1111', '\\x00', '\\x00', 'org', 'sp', 'old', '2026-11-05Z', '2026-11-12Z', '2026-11-06Z', 'old', 'replaced'),
  ('2222', '\\x00', '\\x00', 'org', 'sp', 'made-by-code', '2026-11-09Z', '2026-11-16Z', '2026-11-10Z',
   'made-by-code', 'new id'),
  ('3333', '\\x00', '\\x00', 'org', 'sp', NULL, '2026-11-09Z', '2099-11-16Z', NULL, NULL, 'any id'),
  ('4444', '\\x00', '\\x00', 'org', 'sp', 'old', '2026-11-20Z', '2099-11-27Z', NULL, NULL, 'waiting, replaces');
"""


def test_codes_made_before_the_column_get_what_they_were_for(
    pg_server: LocalPostgres, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = pg_server.create_database("replaces_carry_over")
    with psycopg.connect(url) as conn:
        migrate_before(conn, "0180", monkeypatch)
        conn.execute(BEFORE.encode())
        conn.commit()
        assert "0180" in migrate(conn)
        found: dict[str, bool] = dict(conn.execute("SELECT note, replaces FROM enrolment_codes").fetchall())
    assert found == {"replaced": True, "new id": False, "any id": False, "waiting, replaces": True}
