"""Kiosk configs from the registry: a revision per change, republished on demand, never for nothing."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from collector.api.app import create_app
from collector.provisioning import kiosk_configs
from collector.store import provisioning
from protocol import KioskConfig, encode
from protocol.codec import decode_as
from tests.api.known_data import many, store
from tests.fixtures.fix_api import api_settings, make_key


@pytest.mark.parametrize("memo", [None, {}], ids=["each-run-afresh", "reconciler-memo"])
def test_revisions_follow_changes(database_url: str, memo: kiosk_configs.Memo | None) -> None:
    # A kiosk that registered itself by sending ratings (auto-registration), in an organisation nobody set up.
    store(database_url, many(datetime.now(UTC) - timedelta(hours=1), {"positive": 1}), org="auto")
    sent: list[tuple[str, bytes]] = []

    def publish(topic: str, payload: bytes) -> bool:
        sent.append((topic, payload))
        return True

    def sync(everything: bool = False) -> int:
        return len(kiosk_configs.sync(conn, publish, everything=everything, memo=memo).published)

    with psycopg.connect(database_url, autocommit=True) as conn:
        assert sync() == 1
        topic, payload = sent[-1]
        assert topic == "mlf/v1/auto/k-1/config"
        first = decode_as(KioskConfig, payload)
        assert first.revision == 1
        assert first.service_point == "sp-1"
        assert first.reasons[0].code == "waiting-time"  # the default catalogue
        assert sync() == 0  # nothing changed
        assert sync(everything=True) == 1
        assert decode_as(KioskConfig, sent[-1][1]) == first  # republished as it was (heals a lost retain)
        conn.execute("INSERT INTO services (org_id, id, name, name_en) VALUES ('auto', 'urp', 'URP', 'Public office')")
        conn.execute("UPDATE kiosk_settings SET services = '{urp}', cooldown_s = 5 WHERE kiosk_id = 'k-1'")
        assert sync() == 1
        second = decode_as(KioskConfig, sent[-1][1])
        assert sync() == 0
        conn.execute("UPDATE services SET name_en = 'Public relations' WHERE org_id = 'auto' AND id = 'urp'")
        assert sync() == 1  # a service's name: every kiosk offering it
        third = decode_as(KioskConfig, sent[-1][1])
        conn.execute("UPDATE reasons SET label_it = 'Attesa' WHERE org_id = 'auto' AND code = 'waiting-time'")
        assert sync() == 1  # the organisation's reasons
        fourth = decode_as(KioskConfig, sent[-1][1])
        # Another collector made the same change: the revision stays (both agree on it), nothing is published.
        digest = hashlib.sha256(encode(fourth.model_copy(update={"revision": 1}))).hexdigest()  # as `sync` makes it
        assert provisioning.new_revisions(conn, {"k-1": digest}) == {"k-1": 4}
        assert sync() == 0
    assert second.revision == 2
    assert second.cooldown_s == 5
    assert [(s.id, s.labels) for s in second.services] == [("urp", {"it": "URP", "en": "Public office"})]
    assert (third.revision, third.services[0].labels["en"]) == (3, "Public relations")
    assert (fourth.revision, fourth.reasons[0].labels["it"]) == (4, "Attesa")


def register_kiosk(client: TestClient, token: str, kiosk: str) -> Any:
    """Organisation `roma`, service point `sp`, and the kiosk registered there: the registration's answer."""
    headers = {"Authorization": f"Bearer {token}"}
    client.post("/v1/organisations", json={"id": "roma", "name": "Roma"}, headers=headers).raise_for_status()
    client.post(
        "/v1/organisations/roma/service-points", json={"id": "sp", "name": "Sportello"}, headers=headers
    ).raise_for_status()
    return client.post("/v1/kiosks", json={"id": kiosk, "service_point": "sp"}, headers=headers)


def test_registration_stands_when_the_broker_files_cannot_be_written(database_url: str, tmp_path: Path) -> None:
    settings = api_settings(database_url, broker_password_file=tmp_path / "missing" / "passwd")
    with TestClient(create_app(settings)) as client:
        response = register_kiosk(client, make_key(database_url, "admin"), "k")
    assert response.status_code == 201
    assert response.json()["provisioned"] is False
    assert len(response.json()["mqtt"]["password"]) >= 32


def test_a_failed_broker_reload_reports_not_provisioned_and_is_retried(database_url: str, tmp_path: Path) -> None:
    # The reload fails while `broken` exists (as while mosquitto is restarting), then works.
    broken, reloads = tmp_path / "broken", tmp_path / "reloads"
    broken.touch()
    command = f"sh -c 'test ! -e {broken} && echo reload >> {reloads}'"
    settings = api_settings(
        database_url, broker_password_file=tmp_path / "passwd", broker_acl_file=tmp_path / "acl",
        broker_reload_command=command,
    )  # fmt: skip
    app = create_app(settings)
    with TestClient(app) as client:
        response = register_kiosk(client, make_key(database_url, "admin"), "k1")
        assert response.status_code == 201
        assert response.json()["provisioned"] is False
        files = (tmp_path / "passwd").read_text()
        assert "k1:" in files  # written; only the reload failed
        assert not reloads.exists()
        broken.unlink()
        # Nothing changes in the files any more, yet the next round does the reload that is owed.
        app.state.reconciler.run_once()
        assert (tmp_path / "passwd").read_text() == files
        assert reloads.read_text() == "reload\n"
        app.state.reconciler.run_once()  # owed no more: no second reload
        assert reloads.read_text() == "reload\n"


def test_a_reload_command_that_cannot_run_is_a_configuration_error(database_url: str) -> None:
    import pydantic

    with pytest.raises(pydantic.ValidationError, match="not found"):
        api_settings(database_url, broker_reload_command="no-such-program-here -HUP 1")
    with pytest.raises(pydantic.ValidationError, match="cannot parse"):
        api_settings(database_url, broker_reload_command="sh -c 'unterminated")
    assert api_settings(database_url, broker_reload_command="  ").broker_reload_command is None
