"""Enrolment codes through the API, on a real PostgreSQL: a code works once, until it expires, unless
revoked; only a slow hash is kept; every exchange is audited without a client address; guessing is
stopped per address and overall (429 with Retry-After); of two redemptions at once, one wins."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from collector.api.app import create_app
from collector.enrolment.codes import new_code
from collector.provisioning.broker_files import mosquitto_hash
from collector.store import enrolment
from collector.store.scope import EVERYWHERE
from protocol.enrolment import normalise, parse_entry
from tests.fixtures.fix_api import Api, api_settings, make_key

PROBLEM = "application/problem+json"


def registry(api: Api, org: str = "roma") -> None:
    api.post("/v1/organisations", {"id": org, "name": org.title()})
    api.post(f"/v1/organisations/{org}/service-points", {"id": f"{org}-sp", "name": "Anagrafe, sportello 1"})


def make_code(api: Api, org: str = "roma", **extra: Any) -> dict[str, Any]:
    response = api.client.post(
        f"/v1/organisations/{org}/enrolment-codes", json={"service_point": f"{org}-sp", **extra}, headers=api.headers()
    )
    assert response.status_code == 201, response.text
    made: dict[str, Any] = response.json()
    return made


def enrol(client: TestClient, code: str) -> Any:
    return client.post("/v1/enrolment", json={"code": code})


def test_a_code_enrols_one_kiosk_once(api: Api, db: psycopg.Connection[Any]) -> None:
    registry(api)
    made = make_code(api, note="Pi accanto allo sportello 1")
    code = made["code"]
    digits = normalise(code)
    assert digits is not None
    assert len(code) == 19
    assert made["state"] == "pending"
    assert parse_entry(made["qr_text"]) == (digits, "http://127.0.0.1:8000")

    listed = api.client.get("/v1/organisations/roma/enrolment-codes", headers=api.headers())
    assert listed.status_code == 200
    assert digits not in listed.text
    assert code not in listed.text
    stored = db.execute("SELECT * FROM enrolment_codes").fetchall()
    assert digits not in repr(stored)
    assert digits[4:] not in repr(stored)

    answer = enrol(api.client, code)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["kiosk"], body["organisation"], body["service_point"]) == ("roma-sp-k1", "roma", "roma-sp")
    assert body["mqtt"]["username"] == body["mqtt"]["client_id"] == "roma-sp-k1"
    assert len(body["mqtt"]["password"]) >= 24
    assert body["mqtt"]["port"] == 1883
    fleet = api.get("/v1/kiosks", org="roma")
    assert [k["id"] for k in fleet] == ["roma-sp-k1"]
    assert fleet[0]["service_point"] == "roma-sp"
    hashed = db.execute("SELECT password_hash FROM kiosk_credentials WHERE kiosk_id = 'roma-sp-k1'").fetchone()
    assert hashed is not None
    assert hashed[0].startswith("$7$")
    assert body["mqtt"]["password"] not in hashed[0]

    again = enrol(api.client, code.replace("-", ""))  # dashes are optional
    assert again.status_code == 409
    assert again.headers["content-type"] == PROBLEM
    assert again.json()["type"].endswith("/enrolment-code-used")
    assert "ask the administrator" in again.json()["detail"]
    listed_after = api.get("/v1/organisations/roma/enrolment-codes")
    assert listed_after[0]["state"] == "used"
    assert listed_after[0]["redeemed_kiosk_id"] == "roma-sp-k1"
    assert listed_after[0]["replaces"] is False  # it made the kiosk, which exists now
    audit = db.execute("SELECT outcome, kiosk_id, code_id FROM enrolment_audit ORDER BY id").fetchall()
    assert audit == [("enrolled", "roma-sp-k1", made["id"]), ("used", None, made["id"])]
    columns = {r[0] for r in db.execute("SELECT column_name FROM information_schema.columns "
                                        "WHERE table_name = 'enrolment_audit'").fetchall()}  # fmt: skip
    assert columns == {"id", "at", "code_id", "org_id", "outcome", "kiosk_id"}  # no address, nothing personal

    second = enrol(api.client, make_code(api)["code"])
    assert second.json()["kiosk"] == "roma-sp-k2"  # the next free id at that counter


def test_expired_revoked_and_unknown_codes_are_refused(api: Api, db: psycopg.Connection[Any]) -> None:
    registry(api)
    expired = make_code(api, days=1)
    db.execute(
        "UPDATE enrolment_codes SET created_at = now() - interval '9 days', expires_at = now() - interval '2 days'"
        " WHERE id = %s",
        (expired["id"],),
    )
    answer = enrol(api.client, expired["code"])
    assert answer.status_code == 410, answer.text
    assert answer.json()["type"].endswith("/enrolment-code-expired")
    assert "expired on" in answer.json()["detail"]

    revoked = make_code(api)
    assert (
        api.client.delete(f"/v1/organisations/roma/enrolment-codes/{revoked['id']}", headers=api.headers()).status_code
        == 204
    )
    answer = enrol(api.client, revoked["code"])
    assert answer.status_code == 410
    assert answer.json()["type"].endswith("/enrolment-code-revoked")

    used = make_code(api)
    assert enrol(api.client, used["code"]).status_code == 200
    refused = api.client.delete(f"/v1/organisations/roma/enrolment-codes/{used['id']}", headers=api.headers())
    assert refused.status_code == 409

    unknown = enrol(api.client, "0000-0000-0000-0000")
    assert unknown.status_code == 404
    assert unknown.json()["type"].endswith("/enrolment-code-unknown")
    malformed = enrol(api.client, "1234-5678")
    assert malformed.status_code == 422
    states = {r["id"]: r["state"] for r in api.get("/v1/organisations/roma/enrolment-codes")}
    assert states == {expired["id"]: "expired", revoked["id"]: "revoked", used["id"]: "used"}
    outcomes = [r[0] for r in db.execute("SELECT outcome FROM enrolment_audit ORDER BY id").fetchall()]
    assert outcomes == ["expired", "revoked", "enrolled", "unknown"]


def test_a_code_names_the_kiosk_it_gives_and_a_replacement_gets_a_new_password(
    api: Api, db: psycopg.Connection[Any]
) -> None:
    registry(api)
    api.post("/v1/kiosks", {"id": "roma-k9", "service_point": "roma-sp"})
    before = db.execute("SELECT password_hash FROM kiosk_credentials WHERE kiosk_id = 'roma-k9'").fetchone()
    made = make_code(api, kiosk_id="roma-k9")
    assert made["replaces"] is True
    answer = enrol(api.client, made["code"]).json()
    assert answer["kiosk"] == "roma-k9"
    assert api.get("/v1/organisations/roma/enrolment-codes")[0]["replaces"] is True
    after = db.execute("SELECT password_hash FROM kiosk_credentials WHERE kiosk_id = 'roma-k9'").fetchone()
    assert before != after  # the old device's password stops working
    api.post("/v1/organisations", {"id": "napoli", "name": "Napoli"})
    api.post("/v1/organisations/napoli/service-points", {"id": "napoli-sp", "name": "Sportello"})
    taken = api.client.post(
        "/v1/organisations/napoli/enrolment-codes",
        json={"service_point": "napoli-sp", "kiosk_id": "roma-k9"},
        headers=api.headers(),
    )
    assert taken.status_code == 409  # another organisation's kiosk id


@pytest.fixture
def limited(database_url: str) -> Iterator[tuple[TestClient, Api]]:
    settings = api_settings(database_url, enrol_failure_limit="3/hour", enrol_failure_limit_total="5/hour")
    with TestClient(create_app(settings)) as client:
        yield client, Api(client, database_url, make_key(database_url, "admin"), make_key(database_url, "reader"))


def test_guessing_is_stopped_per_address_and_overall(limited: tuple[TestClient, Api]) -> None:
    client, api = limited
    registry(api)
    good = make_code(api)["code"]
    for n in range(3):
        assert enrol(client, f"1111-2222-3333-000{n}").status_code == 404
    stopped = enrol(client, good)  # even the right code: this address has spent its failures
    assert stopped.status_code == 429
    assert int(stopped.headers["Retry-After"]) > 0
    assert stopped.headers["content-type"] == PROBLEM
    assert "this address" in stopped.json()["detail"]
    others = TestClient(client.app, client=("192.0.2.7", 50000))
    for n in range(2):
        assert enrol(others, f"1111-2222-3333-100{n}").status_code == 404
    overall = enrol(others, good)
    assert overall.status_code == 429
    assert "everywhere" in overall.json()["detail"]


def test_two_redemptions_at_once_one_wins(api: Api, database_url: str) -> None:
    registry(api)
    made = make_code(api)

    async def both() -> list[str]:
        async def one() -> str:
            async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
                return (await enrolment.redeem(conn, made["id"], mosquitto_hash("x"))).outcome

        return list(await asyncio.gather(one(), one()))

    assert sorted(asyncio.run(both())) == ["enrolled", "used"]


def test_codes_are_random_and_checked_slowly() -> None:
    codes = {new_code().code for _ in range(50)}
    assert len(codes) == 50
    assert all(len(c) == 16 and c.isdigit() for c in codes)
    made = new_code()
    assert made.code_hash != new_code().code_hash
    assert len(made.salt) == 16


def test_store_lists_in_scope(api: Api, database_url: str) -> None:
    registry(api, "roma")
    registry(api, "napoli")
    make_code(api, "roma")
    make_code(api, "napoli")

    async def listed() -> list[str]:
        async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
            from collector.store.scope import OrgScope

            everything = await enrolment.listing(conn, scope=EVERYWHERE)
            mine = await enrolment.listing(conn, scope=OrgScope("roma"))
            return [r["organisation"] for r in everything] + ["|"] + [r["organisation"] for r in mine]

    assert asyncio.run(listed()) == ["napoli", "roma", "|", "roma"]


BACKDATED = {
    "waiting": "created_at = now() - interval '400 days'",  # old, but still waiting: kept
    "used": "created_at = now() - interval '100 days', expires_at = now() - interval '80 days',"
    " redeemed_at = now() - interval '95 days'",
    "revoked": "created_at = now() - interval '100 days', expires_at = now() - interval '80 days',"
    " revoked_at = now() - interval '95 days'",
    "expired": "created_at = now() - interval '100 days', expires_at = now() - interval '91 days'",
}
"""Codes as if made long ago: done (used, revoked, expired) more than 90 days ago, except the waiting one."""


def test_housekeeping_deletes_codes_and_audit_rows_past_their_retention(api: Api, db: psycopg.Connection[Any]) -> None:
    """Codes used, revoked or expired more than `COLLECTOR_ENROL_RETENTION_DAYS` (90) ago go, with audit rows that
    old; a code still waiting never goes, however old; 0 keeps everything. Run by the collector's housekeeping."""
    from collector.housekeeping import Housekeeper

    registry(api)
    ids = {}
    for name in ("waiting", "used", "revoked", "expired", "recent"):
        code = make_code(api, note=name)
        ids[name] = code["id"]
        if name in ("used", "recent"):
            assert enrol(api.client, code["code"]).status_code == 200
    revoked = api.client.delete(f"/v1/organisations/roma/enrolment-codes/{ids['revoked']}", headers=api.headers())
    assert revoked.status_code == 204
    for name, changes in BACKDATED.items():
        db.execute(f"UPDATE enrolment_codes SET {changes} WHERE id = %s", (ids[name],))  # noqa: S608 - constants
    db.execute("UPDATE enrolment_audit SET at = now() - interval '95 days' WHERE code_id = %s", (ids["used"],))
    assert enrol(api.client, "9999-9999-9999-9999").status_code == 404  # an unknown code: a fresh audit row

    keeper = Housekeeper(api_settings(api.database_url, enrol_retention_days=0))
    keeper.backend = "postgresql"
    assert "enrolment_codes" not in keeper.run_once()  # 0: kept forever
    assert db.execute("SELECT count(*) FROM enrolment_codes").fetchone() == (5,)
    keeper = Housekeeper(api_settings(api.database_url))
    keeper.backend = "postgresql"
    deleted = keeper.run_once()
    assert (deleted["enrolment_codes"], deleted["enrolment_audit"]) == (3, 1)
    assert {r[0] for r in db.execute("SELECT note FROM enrolment_codes").fetchall()} == {"waiting", "recent"}
    outcomes = sorted(r[0] for r in db.execute("SELECT outcome FROM enrolment_audit").fetchall())
    assert outcomes == ["enrolled", "unknown"]  # the recent kiosk's, and the unknown code just tried
    assert keeper.run_once()["enrolment_codes"] == 0
