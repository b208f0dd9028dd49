"""Kiosk configs from the registry: a revision per change, republished on demand, never for nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from fastapi.testclient import TestClient

from collector.api.app import create_app
from collector.provisioning import kiosk_configs
from protocol import KioskConfig
from protocol.codec import decode_as
from tests.api.known_data import many, store
from tests.fixtures.fix_api import api_settings, make_key


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


def test_registration_stands_when_the_broker_files_cannot_be_written(database_url: str, tmp_path: Path) -> None:
    settings = api_settings(database_url, broker_password_file=tmp_path / "missing" / "passwd")
    token = make_key(database_url, "admin")
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(settings, ingest=False)) as client:
        client.post("/v1/organisations", json={"id": "roma", "name": "Roma"}, headers=headers).raise_for_status()
        client.post(
            "/v1/organisations/roma/service-points", json={"id": "sp", "name": "Sportello"}, headers=headers
        ).raise_for_status()
        response = client.post("/v1/kiosks", json={"id": "k", "service_point": "sp"}, headers=headers)
    assert response.status_code == 201
    assert response.json()["provisioned"] is False
    assert len(response.json()["mqtt"]["password"]) >= 32
