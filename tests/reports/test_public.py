"""Public results: only for an organisation that opted in (404 otherwise, as if it did not exist), no key,
monthly cells per service point and service, nothing below the minimum count, nothing finer than a month."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

from fastapi.testclient import TestClient

from tests.fixtures.fix_api import Api
from tests.reports.history import ORG, History, faces, local

BASE = f"/public/organisations/{ORG}"
MONTH = {"month": "2026-10"}


def public(client: TestClient, path: str, **params: str) -> bytes:
    response = client.get(BASE + path, params=params)  # no key
    assert response.status_code == 200, response.text
    return response.content


def test_nothing_unless_opted_in(month_api: tuple[Api, History]) -> None:
    api, _ = month_api
    for path in ("/results", "/results.json", "/results.csv"):
        assert api.client.get(BASE + path, params=MONTH).status_code == 404
        assert api.client.get("/public/organisations/nobody" + path).status_code == 404
    api.put(f"/v1/organisations/{ORG}/public-results", {"enabled": True, "min_count": 10})
    assert api.get(f"/v1/organisations/{ORG}/public-results", api.reader) == {"enabled": True, "min_count": 10}
    assert api.client.get(BASE + "/results.json", params=MONTH).status_code == 200
    api.put(f"/v1/organisations/{ORG}/public-results", {"enabled": False})
    assert api.client.get(BASE + "/results.json", params=MONTH).status_code == 404


def test_open_data_has_no_small_cell_and_nothing_finer_than_a_month(month_api: tuple[Api, History]) -> None:
    api, history = month_api
    api.put(f"/v1/organisations/{ORG}/public-results", {"enabled": True, "min_count": 25})
    got = api.client.get(BASE + "/results.json", params=MONTH).json()
    assert got["month"] == "2026-10"
    assert got["min_count"] == 25
    rows = got["rows"]
    assert rows
    october = (local(2026, 10, 1), local(2026, 11, 1))
    shown = hidden = 0
    for row in rows:
        assert row["month"] == "2026-10"
        want = faces(history.presses, *october, service_point=row["service_point"], service=row["service"] or None)
        n = sum(want.values())
        if n < 25:
            hidden += 1
            assert row["suppressed"] is True
            assert all(row[k] is None for k in ("ratings", "positive", "neutral", "negative", "green_share", "flag"))
        else:
            shown += 1
            assert row["suppressed"] is False
            assert (row["positive"], row["neutral"], row["negative"]) == (
                want["positive"],
                want["neutral"],
                want["negative"],
            )
            assert row["ratings"] >= 25
    assert shown
    assert hidden  # the simulated month has small cells: they must be there, and empty
    # The CSV says exactly the same; no column holds a time or a date finer than the month.
    table = list(csv.DictReader(io.StringIO(public(api.client, "/results.csv", **MONTH).decode())))
    assert len(table) == len(rows)
    for line, row in zip(table, rows, strict=True):
        assert line["ratings"] == ("" if row["ratings"] is None else str(row["ratings"]))
        assert not any(re.fullmatch(r"\d{4}-\d{2}-\d{2}.*", v) for v in line.values())
        if row["suppressed"]:
            assert {line[k] for k in ("ratings", "positive", "neutral", "negative", "green_share", "red_share")} == {""}
    assert set(table[0]) >= {
        "month",
        "service_point",
        "service",
        "positive",
        "green_share",
        "participation_rate",
        "flag",
    }
    assert not {"pressed_at", "received_at", "event_id", "day", "hour", "kiosk"} & set(table[0])
    # No month still in progress (a running total would show each new vote).
    this_month = f"{datetime.now(UTC):%Y-%m}"
    assert api.client.get(BASE + "/results.json", params={"month": this_month}).status_code == 422


def test_the_public_page(month_api: tuple[Api, History]) -> None:
    api, _ = month_api
    api.put(f"/v1/organisations/{ORG}/public-results", {"enabled": True, "min_count": 25})
    page = public(api.client, "/results", **MONTH, lang="it").decode()
    assert '<html lang="it">' in page
    assert "<h1>Roma Capitale</h1>" in page
    assert "Giudizi degli utenti, ottobre 2026" in page
    assert "Meno di 25 giudizi: non mostrato" in page
    assert '<th scope="col">' in page
    assert 'href="results.csv?month=2026-10"' in page
    english = public(api.client, "/results", **MONTH, lang="en").decode()
    assert "Fewer than 25 ratings: not shown" in english
