"""A key bound to an organisation stays inside it (issue 10, part 4), and an ingest key bound to a service
point sends that point's ratings only (part 3, the HTTP side). The access matrix covers every operation's
status; these follow the attacks of the issue through to their effect."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from protocol import Face, KioskClock, Rating
from tests.api.test_admin_cli import ok
from tests.fixtures.fix_api import Api, make_key


@pytest.fixture
def two(api: Api) -> Api:
    """Organisations a and b, each with a service point and a kiosk registered by the unbound admin."""
    for org in ("a", "b"):
        api.post("/v1/organisations", {"id": org, "name": f"Ente {org}"})
        api.post(f"/v1/organisations/{org}/service-points", {"id": f"{org}-sp", "name": "Sportello"})
        api.post("/v1/kiosks", {"id": f"{org}-k", "service_point": f"{org}-sp"})
    return api


def test_a_bound_admin_makes_keys_of_its_own_organisation_only(two: Api) -> None:
    bound = make_key(two.database_url, "admin", org="b")
    made = two.post("/v1/keys", {"name": "another admin", "role": "admin"}, bound)
    assert made["organisation"] == "b"  # not an unbound admin key
    assert [o["id"] for o in two.get("/v1/organisations", made["token"])] == ["b"]
    response = two.client.post(
        "/v1/keys", json={"name": "x", "role": "admin", "organisation": "a"}, headers=two.headers(bound)
    )
    assert response.status_code == 403
    assert "bound to organisation 'b'" in response.json()["detail"]
    assert {k["organisation"] for k in two.get("/v1/keys", bound)} == {"b"}


def test_a_bound_admin_cannot_revoke_keys_beyond_its_organisation(two: Api) -> None:
    bound = make_key(two.database_url, "admin", org="b")
    for victim in (two.reader, make_key(two.database_url, "reader", org="a")):
        assert two.client.delete(f"/v1/keys/{victim.split('_')[1]}", headers=two.headers(bound)).status_code == 404
        assert two.client.get("/v1/organisations", headers=two.headers(victim)).status_code == 200
    own = make_key(two.database_url, "reader", org="b")
    assert two.client.delete(f"/v1/keys/{own.split('_')[1]}", headers=two.headers(bound)).status_code == 204


def test_a_bound_admin_cannot_take_over_another_organisations_kiosks(two: Api) -> None:
    bound = make_key(two.database_url, "admin", org="b")
    with psycopg.connect(two.database_url) as conn:
        before = conn.execute("SELECT password_hash FROM kiosk_credentials WHERE kiosk_id = 'a-k'").fetchone()
    assert two.client.post("/v1/kiosks/a-k/credentials", headers=two.headers(bound)).status_code == 404
    response = two.client.put("/v1/kiosks/a-k/settings", json={"cooldown_s": 0}, headers=two.headers(bound))
    assert response.status_code == 404
    response = two.client.post(
        "/v1/kiosks", json={"id": "intruder", "service_point": "a-sp"}, headers=two.headers(bound)
    )
    assert response.status_code == 404
    assert "password" not in response.text
    with psycopg.connect(two.database_url) as conn:
        assert conn.execute("SELECT password_hash FROM kiosk_credentials WHERE kiosk_id = 'a-k'").fetchone() == before
        assert conn.execute("SELECT cooldown_s FROM kiosk_settings WHERE kiosk_id = 'a-k'").fetchone() == (3.0,)
        assert conn.execute("SELECT count(*) FROM kiosks WHERE id = 'intruder'").fetchone() == (0,)
    assert two.client.post("/v1/kiosks/b-k/credentials", headers=two.headers(bound)).status_code == 200


def test_a_bound_admin_cannot_create_organisations(two: Api) -> None:
    bound = make_key(two.database_url, "admin", org="b")
    response = two.client.post("/v1/organisations", json={"id": "c", "name": "C"}, headers=two.headers(bound))
    assert response.status_code == 403


def _rating(service_point: str, kiosk: str = "a-web") -> dict[str, object]:
    return Rating(
        event_id=uuid.uuid4(),
        kiosk_id=kiosk,
        seq=1,
        service_point=service_point,
        face=Face.POSITIVE,
        pressed_at=datetime.now(UTC) - timedelta(hours=1),
        clock=KioskClock(boot_id=uuid.uuid4(), uptime_ms=1, synced=True),
    ).model_dump(mode="json")


def test_an_ingest_key_bound_to_a_service_point_sends_its_ratings_only(two: Api) -> None:
    two.post("/v1/organisations/a/service-points", {"id": "a-web", "name": "Modulo web", "channel": "web"})
    made = two.post("/v1/keys", {"name": "web form", "role": "ingest", "service_point": "a-web"})
    assert (made["organisation"], made["service_point"]) == ("a", "a-web")
    token = made["token"]
    response = two.client.post(
        "/v1/organisations/a/ratings", json=[_rating("a-web"), _rating("a-sp", "a-web-2")], headers=two.headers(token)
    )
    assert response.status_code == 403
    assert "'a-sp'" in response.json()["detail"]
    with psycopg.connect(two.database_url) as conn:
        assert conn.execute("SELECT count(*) FROM ratings").fetchone() == (0,)
    assert two.post("/v1/organisations/a/ratings", [_rating("a-web")], token)["stored"] == 1
    assert (
        two.client.post("/v1/organisations/b/ratings", json=[_rating("a-web")], headers=two.headers(token)).status_code
        == 403
    )


def test_only_ingest_keys_bind_to_a_service_point_of_their_organisation(two: Api) -> None:
    for body, status in (
        ({"name": "x", "role": "reader", "service_point": "a-sp"}, 422),
        ({"name": "x", "role": "ingest", "service_point": "a-sp", "organisation": "b"}, 422),
        ({"name": "x", "role": "ingest", "service_point": "nowhere"}, 404),
    ):
        assert two.client.post("/v1/keys", json=body, headers=two.headers()).status_code == status, body
    bound = make_key(two.database_url, "admin", org="b")
    response = two.client.post(
        "/v1/keys", json={"name": "x", "role": "ingest", "service_point": "a-sp"}, headers=two.headers(bound)
    )
    assert response.status_code == 404  # a-sp is not b's: as if it did not exist


def test_the_command_line_binds_an_ingest_key_to_a_service_point(two: Api) -> None:
    out = ok(two.database_url, "key", "create", "--name", "ivr", "--role", "ingest", "--service-point", "a-sp")
    token = out.splitlines()[-1]
    assert "for a-sp" in out
    listed = ok(two.database_url, "key", "list")
    assert any(" a/a-sp " in line and line.endswith("ivr") for line in listed.splitlines())
    sent = two.client.post("/v1/organisations/a/ratings", json=[_rating("b-sp")], headers=two.headers(token))
    assert sent.status_code == 403
