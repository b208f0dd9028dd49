"""Kiosk configs from the registry: a revision per change, republished on demand, never for nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg

from collector.provisioning import kiosk_configs
from protocol import KioskConfig
from protocol.codec import decode_as
from tests.api.known_data import many, store


def test_revisions_follow_changes(database_url: str) -> None:
    # A kiosk that registered itself by sending ratings (auto-registration), in an organisation nobody set up.
    store(database_url, many(datetime.now(UTC) - timedelta(hours=1), {"positive": 1}), org="auto")
    sent: list[tuple[str, bytes]] = []
    with psycopg.connect(database_url, autocommit=True) as conn:
        assert kiosk_configs.sync(conn, lambda topic, payload: sent.append((topic, payload))) == 1
        topic, payload = sent[-1]
        assert topic == "mlf/v1/auto/k-1/config"
        first = decode_as(KioskConfig, payload)
        assert first.revision == 1
        assert first.service_point == "sp-1"
        assert first.reasons[0].code == "waiting-time"  # the default catalogue
        assert kiosk_configs.sync(conn, lambda t, p: sent.append((t, p))) == 0  # nothing changed
        assert kiosk_configs.sync(conn, lambda t, p: sent.append((t, p)), everything=True) == 1
        assert decode_as(KioskConfig, sent[-1][1]) == first  # republished as it was (heals a lost retain)
        conn.execute("INSERT INTO services (org_id, id, name, name_en) VALUES ('auto', 'urp', 'URP', 'Public office')")
        conn.execute("UPDATE kiosk_settings SET services = '{urp}', cooldown_s = 5 WHERE kiosk_id = 'k-1'")
        assert kiosk_configs.sync(conn, lambda t, p: sent.append((t, p))) == 1
        second = decode_as(KioskConfig, sent[-1][1])
    assert second.revision == 2
    assert second.cooldown_s == 5
    assert [(s.id, s.labels) for s in second.services] == [("urp", {"it": "URP", "en": "Public office"})]
