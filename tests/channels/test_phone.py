"""The phone flow driven as a voice service drives it: signed form posts with `CallSid` and `Digits`."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import psycopg
import pytest

from collector.channels.voice import signature
from tests.fixtures.fix_api import Api

TOKEN = "f3c0ffee0123456789abcdef01234567"
PUBLIC = "http://127.0.0.1:8000"  # COLLECTOR_PUBLIC_URL of the test app: what the voice service calls


@pytest.fixture
def line(api: Api) -> dict[str, Any]:
    api.post("/v1/organisations", {"id": "torino", "name": "Città di Torino"})
    api.post("/v1/organisations/torino/service-points", {"id": "torino-telefono", "name": "Centralino"})
    made: dict[str, Any] = api.post(
        "/v1/organisations/torino/phone-lines", {"service_point": "torino-telefono", "auth_token": TOKEN}
    )
    return made


def call(api: Api, path: str, form: dict[str, str], token: str = TOKEN) -> ET.Element:
    response = api.client.post(path, data=form, headers={"X-Twilio-Signature": signature(token, PUBLIC + path, form)})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    return ET.fromstring(response.text)  # noqa: S314 - our own answer


def next_action(twiml: ET.Element) -> str:
    gather = twiml.find("Gather")
    assert gather is not None, ET.tostring(twiml)
    return gather.attrib["action"]


def spoken(twiml: ET.Element) -> str:
    return " ".join(say.text or "" for say in twiml.iter("Say"))


def stored(api: Api) -> list[tuple[Any, ...]]:
    with psycopg.connect(api.database_url) as conn:
        return conn.execute("SELECT channel::text, face::text, reason, source FROM ratings").fetchall()


def test_a_red_call_with_its_reason_is_one_rating(api: Api, line: dict[str, Any]) -> None:
    path = f"/phone/{line['id']}/voice"
    assert line["voice_url"] == PUBLIC + path
    sid = {"CallSid": "CA0123456789abcdef0123456789abcdef", "From": "+393331234567"}
    first = call(api, path, sid)
    assert "Prema 1 se è soddisfatto" in spoken(first)
    assert "For English, press 9." in spoken(first)
    reasons = call(api, next_action(first), {**sid, "Digits": "3"})
    assert "1:" in spoken(reasons)
    thanks = call(api, next_action(reasons), {**sid, "Digits": "1"})
    assert thanks.find("Hangup") is not None
    call(api, next_action(first), {**sid, "Digits": "3"})  # the voice service retries a webhook
    assert stored(api) == [("phone", "negative", "waiting-time", f"phone:{line['id']}")]
    assert "+393331234567" not in str(stored(api))
    summary = api.get("/v1/service-points/torino-telefono/summary", **{"from": "2020-01-01", "to": "2100-01-01"})
    assert summary["counts"] == {"positive": 0, "neutral": 0, "negative": 1}


def test_english_by_key_9_and_a_wrong_key_asks_again(api: Api, line: dict[str, Any]) -> None:
    path = f"/phone/{line['id']}/voice"
    sid = {"CallSid": "CAfeedfacefeedfacefeedfacefeedface"}
    first = call(api, path, sid)
    english = call(api, next_action(first), {**sid, "Digits": "9"})
    assert "How would you rate the service you received?" in spoken(english)
    assert next_action(english).endswith("lang=en")
    again = call(api, next_action(english), {**sid, "Digits": "7"})
    assert "not one of the choices" in spoken(again)
    assert again.find("Redirect") is not None
    done = call(api, next_action(english), {**sid, "Digits": "1"})
    assert "Thank you!" in spoken(done)
    assert stored(api) == [("phone", "positive", None, f"phone:{line['id']}")]


def test_a_request_the_voice_service_did_not_sign_is_refused(api: Api, line: dict[str, Any]) -> None:
    path = f"/phone/{line['id']}/voice/face?lang=it"
    form = {"CallSid": "CA0123456789abcdef0123456789abcdef", "Digits": "1"}
    for headers in ({}, {"X-Twilio-Signature": signature("another-token-0123456789", PUBLIC + path, form)}):
        response = api.client.post(path, data=form, headers=headers)
        assert response.status_code == 403
        assert response.json()["type"].endswith("/bad-signature")
    tampered = {**form, "Digits": "3"}
    response = api.client.post(
        path, data=tampered, headers={"X-Twilio-Signature": signature(TOKEN, PUBLIC + path, form)}
    )
    assert response.status_code == 403
    assert api.client.post("/phone/unknownline0123456789/voice", data=form).status_code == 404
    assert stored(api) == []
    listed = api.get("/v1/organisations/torino/phone-lines")
    assert TOKEN not in str(listed)
