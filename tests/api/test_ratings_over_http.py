"""Ratings over HTTP take the MQTT path's rules: validated, idempotent by event_id, refused ones quarantined."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import psycopg

from protocol import Channel, Face, KioskClock, Rating
from tests.fixtures.fix_api import Api, make_key


def ivr_rating(seq: int, face: Face) -> dict[str, object]:
    rating = Rating(
        event_id=uuid.uuid4(),
        kiosk_id="ivr-1",
        seq=seq,
        service_point="roma-telefono",
        channel=Channel.PHONE,
        face=face,
        pressed_at=datetime.now(UTC) - timedelta(hours=2),
        clock=KioskClock(boot_id=uuid.uuid4(), uptime_ms=seq, synced=True),
    )
    return rating.model_dump(mode="json", exclude_none=True)


def test_batch_twice_is_stored_once_and_bad_items_are_quarantined(api: Api) -> None:
    api.post("/v1/organisations", {"id": "roma", "name": "Roma Capitale"})
    token = make_key(api.database_url, "ingest", org="roma")
    batch = [ivr_rating(1, Face.POSITIVE), ivr_rating(2, Face.NEGATIVE)]
    bad = [{"kiosk_id": "ivr-1", "face": "happy"}, {**ivr_rating(3, Face.NEUTRAL), "kiosk_id": "Not A Slug"}]
    first = api.post("/v1/organisations/roma/ratings", batch + bad, token)
    assert first == {"received": 4, "stored": 2, "duplicates": 0, "quarantined": {"schema": 1, "bad_topic": 1}}
    again = api.post("/v1/organisations/roma/ratings", batch, token)
    assert again == {"received": 2, "stored": 0, "duplicates": 2, "quarantined": {}}
    summary = api.get("/v1/service-points/roma-telefono/summary", **{"from": "2020-01-01", "to": "2100-01-01"})
    assert summary["counts"] == {"positive": 1, "neutral": 0, "negative": 1}
    with psycopg.connect(api.database_url) as conn:
        assert conn.execute("SELECT count(*) FROM quarantine").fetchone() == (2,)
        assert conn.execute("SELECT channel::text FROM ratings LIMIT 1").fetchone() == ("phone",)


def test_only_ingest_and_admin_keys_may_send(api: Api) -> None:
    body = [ivr_rating(1, Face.POSITIVE)]
    api.post("/v1/organisations", {"id": "milano", "name": "Comune di Milano"})
    assert (
        api.client.post("/v1/organisations/roma/ratings", json=body, headers=api.headers(api.reader)).status_code == 403
    )
    other = make_key(api.database_url, "ingest", org="milano")
    assert api.client.post("/v1/organisations/roma/ratings", json=body, headers=api.headers(other)).status_code == 403
    response = api.client.post("/v1/organisations/roma/ratings", json={"not": "a list"}, headers=api.headers())
    assert response.status_code == 422


def test_numbers_beyond_their_column_are_quarantined_not_a_server_error(api: Api) -> None:
    """`uptime_ms >= 2^63` once broke the COPY into a bigint column and answered 500 (issue 10)."""
    api.post("/v1/organisations", {"id": "roma", "name": "Roma Capitale"})
    token = make_key(api.database_url, "ingest", org="roma")
    huge = ivr_rating(1, Face.POSITIVE)
    huge["clock"] = {**huge["clock"], "uptime_ms": 2**63}  # type: ignore[dict-item]
    fine = ivr_rating(2, Face.POSITIVE)
    response = api.client.post("/v1/organisations/roma/ratings", json=[huge, fine], headers=api.headers(token))
    assert response.status_code == 200, response.text
    assert response.json() == {"received": 2, "stored": 1, "duplicates": 0, "quarantined": {"schema": 1}}
    with psycopg.connect(api.database_url) as conn:
        row = conn.execute("SELECT reason, detail FROM quarantine").fetchone()
    assert row is not None
    assert row[0] == "schema"
    assert "uptime_ms" in row[1]


def test_a_rating_the_database_refuses_is_quarantined_and_the_rest_stored(api: Api) -> None:
    """The HTTP path isolates a culprit as the MQTT path does, instead of failing the whole request with 500."""
    api.post("/v1/organisations", {"id": "roma", "name": "Roma Capitale"})
    token = make_key(api.database_url, "ingest", org="roma")
    with psycopg.connect(api.database_url, autocommit=True) as conn:
        conn.execute(
            "CREATE FUNCTION refuse_seq_2() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
            " IF NEW.seq = 2 THEN RAISE EXCEPTION 'seq 2 refused' USING ERRCODE = '22003'; END IF;"
            " RETURN NEW; END $$"
        )
        conn.execute("CREATE TRIGGER refuse BEFORE INSERT ON ratings FOR EACH ROW EXECUTE FUNCTION refuse_seq_2()")
    batch = [ivr_rating(seq, Face.POSITIVE) for seq in (1, 2, 3)]
    response = api.client.post("/v1/organisations/roma/ratings", json=batch, headers=api.headers(token))
    assert response.status_code == 200, response.text
    assert response.json() == {"received": 3, "stored": 2, "duplicates": 0, "quarantined": {"store_error": 1}}


def test_a_kiosk_shaped_rating_over_http_is_held_to_its_kiosks_service_point(api: Api) -> None:
    """The HTTP path goes through the same admission: `ivr-1` answers for roma-telefono only."""
    api.post("/v1/organisations", {"id": "roma", "name": "Roma Capitale"})
    token = make_key(api.database_url, "ingest", org="roma")
    assert api.post("/v1/organisations/roma/ratings", [ivr_rating(1, Face.POSITIVE)], token)["stored"] == 1
    elsewhere = {**ivr_rating(2, Face.NEGATIVE), "service_point": "roma-web"}
    answer = api.post("/v1/organisations/roma/ratings", [elsewhere], token)
    assert answer == {"received": 1, "stored": 0, "duplicates": 0, "quarantined": {"identity_mismatch": 1}}
