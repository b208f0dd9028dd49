"""Exports equal the raw rows, page after page, in CSV and NDJSON; readers get complete hourly counts."""

from __future__ import annotations

import csv
import io
import json
import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from tests.api.known_data import press, store
from tests.fixtures.fix_api import Api

START = datetime(2025, 10, 20, 6, 0, tzinfo=UTC)


@pytest.fixture
def stored(api: Api) -> int:
    rng = random.Random(3)
    presses = [
        press(
            START + timedelta(seconds=rng.randrange(0, 10 * 86400)),
            face,
            service_point=rng.choice(["sp-1", "sp-2"]),
            reason=rng.choice([None, "waiting-time"]) if face == "negative" else None,
            service=rng.choice([None, "anagrafe"]),
        )
        for face in rng.choices(["positive", "neutral", "negative"], k=1234)
    ]
    # Two presses at the very same instant: the cursor must not lose either.
    presses += [press(START + timedelta(hours=5), "positive"), press(START + timedelta(hours=5), "negative")]
    store(api.database_url, presses)
    return len(presses)


def pages(api: Api, path: str, token: str | None = None, **params: Any) -> tuple[list[str], int]:
    """Every page's body lines (CSV headers dropped after the first), following the next cursor."""
    lines: list[str] = []
    count = 0
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = api.client.get(path, params=query, headers=api.headers(token))
        assert response.status_code == 200, response.text
        body = response.text.splitlines()
        if params.get("format") == "csv" and lines:
            body = body[1:]
        lines += body
        count += 1
        cursor = response.headers.get("x-next-cursor")
        if cursor is None:
            return lines, count
        assert response.headers["link"].endswith('rel="next"')


def raw_rows(database_url: str) -> list[dict[str, Any]]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT event_id::text, kiosk_id, seq, service_point_id, service_id, face::text, reason, pressed_at"
            " FROM ratings ORDER BY pressed_at, event_id"
        ).fetchall()
    keys = ("event_id", "kiosk_id", "seq", "service_point", "service", "face", "reason", "pressed_at")
    return [dict(zip(keys, row, strict=True)) for row in rows]


def test_raw_ndjson_pages_equal_the_raw_rows(api: Api, stored: int) -> None:
    lines, count = pages(
        api, "/v1/exports/ratings", org="org", format="ndjson", limit=100, **{"from": "2025-10-01", "to": "2025-11-15"}
    )
    assert count == (stored + 99) // 100
    exported = [json.loads(line) for line in lines]
    expected = raw_rows(api.database_url)
    assert len(exported) == len(expected) == stored
    for got, want in zip(exported, expected, strict=True):
        for key in ("event_id", "kiosk_id", "seq", "service_point", "service", "face", "reason"):
            assert got[key] == want[key]
        assert datetime.fromisoformat(got["pressed_at"]) == want["pressed_at"]
        assert got["organisation"] == "org"
        assert got["misuse"] is False


def test_raw_csv_equals_ndjson(api: Api, stored: int) -> None:
    period = {"from": "2025-10-01", "to": "2025-11-15"}
    lines, _ = pages(api, "/v1/exports/ratings", org="org", format="csv", limit=500, **period)
    rows = list(csv.DictReader(io.StringIO("\n".join(lines))))
    ndjson, _ = pages(api, "/v1/exports/ratings", org="org", format="ndjson", limit=5000, **period)
    objects = [json.loads(line) for line in ndjson]
    assert len(rows) == len(objects) == stored
    for row, obj in zip(rows, objects, strict=True):
        assert row["event_id"] == obj["event_id"]
        assert row["face"] == obj["face"]
        assert row["reason"] == (obj["reason"] or "")
        assert row["pressed_at"] == obj["pressed_at"]


def test_reader_counts_equal_raw_rows_per_hour(api: Api, stored: int) -> None:
    lines, _ = pages(
        api,
        "/v1/exports/counts",
        api.reader,
        org="org",
        format="ndjson",
        limit=50,
        **{"from": "2025-10-01", "to": "2025-11-15"},
    )
    got: Counter[tuple[str, str, str]] = Counter()
    for line in lines:
        row = json.loads(line)
        assert datetime.fromisoformat(row["end"]) - datetime.fromisoformat(row["start"]) == timedelta(hours=1)
        assert "event_id" not in row
        for face in ("positive", "neutral", "negative"):
            got[(row["start"], row["service_point"], face)] += row[face]
    want: Counter[tuple[str, str, str]] = Counter()
    for r in raw_rows(api.database_url):
        hour = r["pressed_at"].astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        want[(hour.isoformat().replace("+00:00", "Z"), r["service_point"], r["face"])] += 1
    assert +got == want


def test_bad_cursor_is_422(api: Api, stored: int) -> None:
    for cursor in ("not-base64!", "W10", "WyJ4IiwgInkiXQ"):  # garbage, [], ["x", "y"]
        response = api.client.get("/v1/exports/ratings", params={"org": "org", "cursor": cursor}, headers=api.headers())
        assert response.status_code == 422, response.text
        assert response.json()["type"].endswith("/invalid-cursor")
