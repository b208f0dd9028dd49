"""docs/alerts-webhook.schema.json is the schema of the very model the sender posts, and a real body fits it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import jsonschema_rs

from collector.alerts import payload, webhook

SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "alerts-webhook.schema.json"


def current() -> str:
    schema = payload.WebhookBody.model_json_schema(by_alias=True, mode="serialization")
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def test_the_published_schema_is_the_models() -> None:
    assert SCHEMA.read_text(encoding="utf-8") == current(), (
        "regenerate: .venv/bin/python -c 'import tests.alerts.test_webhook_schema as t; t.write()'"
    )


def test_a_body_as_sent_fits_the_schema_and_its_signature_checks() -> None:
    row = {"id": 7, "alert": "kiosk_silent", "status": "firing", "at": datetime(2026, 11, 23, tzinfo=UTC),
           "org_id": "torino", "site_id": None, "service_point_id": "sp", "kiosk_id": "k-1", "subject": "k-1",
           "detail": {"silent_open_s": 960}}  # fmt: skip
    body = payload.WebhookBody(delivery=3, subscription="sub_abcdefghijkl", event=payload.event(row, "https://x.org"))
    data = body.model_dump_json(by_alias=True).encode()
    jsonschema_rs.validate(json.loads(SCHEMA.read_text(encoding="utf-8")), json.loads(data))
    assert json.loads(data)["event"]["summary"]["en"] == "Kiosk k-1 has been silent for 16 minutes of opening hours"
    signed = webhook.signature("whsec_x", "1795939200", data)
    assert webhook.verify("whsec_x", "1795939200", data, signed, now=1795939200 + 299)
    assert not webhook.verify("whsec_x", "1795939200", data, signed, now=1795939200 + 301)  # replayed later
    assert not webhook.verify("whsec_y", "1795939200", data, signed, now=1795939200)
    assert not webhook.verify("whsec_x", "1795939200", data + b" ", signed, now=1795939200)


def write() -> None:
    SCHEMA.write_text(current(), encoding="utf-8")
