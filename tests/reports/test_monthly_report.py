"""The monthly report on a month of simulated history: its totals equal the raw rows in every format (JSON,
XLSX read back with openpyxl, PDF text, HTML), levels add up, DST and month edges, comparisons, reasons."""

from __future__ import annotations

import io
import re
import subprocess
from collections import Counter
from datetime import UTC, datetime

import openpyxl
import psycopg
import pytest

from tests.fixtures.fix_api import Api
from tests.reports.history import ORG, POINTS, History, faces, local

OCTOBER = (local(2026, 10, 1), local(2026, 11, 1))
URL = f"/v1/organisations/{ORG}/reports/monthly"


def report(api: Api, fmt: str = "json", lang: str = "it", month: str = "2026-10") -> bytes:
    response = api.client.get(URL, params={"month": month, "format": fmt, "lang": lang}, headers=api.headers())
    assert response.status_code == 200, response.text
    return response.content


def raw_reasons(database_url: str, start: datetime, end: datetime) -> Counter[str]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT reason, count(*) FROM ratings WHERE org_id = %s AND pressed_at >= %s AND pressed_at < %s"
            " AND face = 'negative' AND reason IS NOT NULL AND NOT misuse GROUP BY reason",
            (ORG, start, end),
        ).fetchall()
    return Counter({r: int(n) for r, n in rows})


def test_json_totals_equal_the_raw_rows(month_api: tuple[Api, History]) -> None:
    api, history = month_api
    got = api.get(URL, month="2026-10")
    raw = history.raw(api.database_url, *OCTOBER)
    overall = got["overall"]
    assert overall["counts"] == {k: raw[k] for k in ("positive", "neutral", "negative")}
    assert overall["misuse"] == raw["misuse"] == 25
    assert overall["total"] == sum(faces(history.presses, *OCTOBER).values())
    # Every level adds up to the organisation, misuse included.
    for level in ("sites", "services", "channels", "service_points"):
        for key in ("total", "misuse"):
            assert sum(r[key] for r in got[level]) == overall[key], (level, key)
    assert {r["key"] for r in got["service_points"]} == set(POINTS)
    # The month is local: 31 days and the extra hour of 2026-10-25; both 02:30 of that day are in it, the
    # last second of the month too, midnight of November 1 is not.
    start, end = datetime.fromisoformat(got["start"]), datetime.fromisoformat(got["end"])
    assert (end - start).total_seconds() == 31 * 86400 + 3600
    assert start == datetime(2026, 9, 30, 22, tzinfo=UTC)
    eur = next(r for r in got["service_points"] if r["key"] == "roma-eur-1")
    assert eur["total"] == sum(faces(history.presses, *OCTOBER, service_point="roma-eur-1").values())
    # Comparisons are the raw rows of the month before and of October 2025.
    for key, (a, b) in (
        ("previous", (local(2026, 9, 1), OCTOBER[0])),
        ("year_ago", (local(2025, 10, 1), local(2025, 11, 1))),
    ):
        before = history.raw(api.database_url, a, b)
        n = before["positive"] + before["neutral"] + before["negative"]
        assert overall[key]["total"] == n
        assert overall[key]["green_share"] == pytest.approx(before["positive"] / n)
        assert overall["green_change" if key == "previous" else "green_change_year"] == pytest.approx(
            raw["positive"] / overall["total"] - before["positive"] / n
        )
    # Reasons after red, misuse excluded (the burst gave "waiting-time" 25 times).
    reasons = raw_reasons(api.database_url, *OCTOBER)
    assert {r["code"]: r["count"] for r in got["reasons"]} == dict(reasons)
    assert got["without_reason"] == raw["negative"] - sum(reasons.values())
    assert [r["count"] for r in got["reasons"]] == sorted((r["count"] for r in got["reasons"]), reverse=True)


def test_below_target_with_the_reason_for_the_flag(month_api: tuple[Api, History]) -> None:
    api, _ = month_api
    got = api.get(URL, month="2026-10")
    assert got["below_target"] == ["roma-centro-2"]
    worst = got["service_points"][0]
    assert worst["key"] == "roma-centro-2"
    assert worst["flag"]["state"] == "below_target"
    assert "green_share_below_target" in worst["flag"]["reasons"]
    assert worst["site"] == "Anagrafe centrale"
    assert worst["participation"] == {"served": None, "rated": 0, "rate": None, "coverage": None}


def test_xlsx_typed_cells_and_totals(month_api: tuple[Api, History]) -> None:
    api, history = month_api
    raw = history.raw(api.database_url, *OCTOBER)
    for lang, sheets in (
        ("it", ["Sintesi", "Ente", "Sedi", "Servizi", "Canali", "Sportelli", "Motivi dopo il rosso",
                "Sotto obiettivo", "Azioni"]),
        ("en", ["Summary", "Organisation", "Sites", "Services", "Channels", "Service points", "Reasons after red",
                "Below target", "Actions"]),
    ):  # fmt: skip
        book = openpyxl.load_workbook(io.BytesIO(report(api, "xlsx", lang)))
        assert book.sheetnames == sheets
        org = book[sheets[1]]
        heads = [c.value for c in org[1]]
        values = dict(zip(heads, (c for c in org[2]), strict=True))
        ratings, green, red, misuse = (heads[i] for i in (1, 2, 4, 11))
        assert values[ratings].value == raw["positive"] + raw["neutral"] + raw["negative"]
        assert values[green].value == raw["positive"]
        assert values[red].value == raw["negative"]
        assert values[misuse].value == raw["misuse"]
        share = values[heads[5]]
        assert isinstance(share.value, float)
        assert share.number_format == "0.0%"
        assert share.value == pytest.approx(raw["positive"] / values[ratings].value)
        assert org.freeze_panes == "B2"
        points = book[sheets[5]]
        assert points.freeze_panes == "B2"
        assert points.auto_filter.ref is not None
        rows = list(points.iter_rows(min_row=2, values_only=True))
        assert len(rows) == len(POINTS)
        assert sum(r[2] for r in rows) == values[ratings].value  # column C: ratings (B is the site)
        assert all(isinstance(r[2], int) for r in rows)
        assert points.column_dimensions["A"].width >= 25
        # Participation unknown: said in words, not a made-up number.
        rate_col = [c.value for c in points[1]].index(
            "Tasso di partecipazione" if lang == "it" else "Participation rate"
        )
        assert {r[rate_col] for r in rows} == {"sconosciuto" if lang == "it" else "unknown"}


def _pdf_text(pdf: bytes) -> str:
    done = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True)
    return done.stdout.decode()


def _number(n: int, lang: str) -> str:
    return f"{n:,}".replace(",", "." if lang == "it" else ",")


def test_pdf_and_html_say_the_same_totals(month_api: tuple[Api, History]) -> None:
    api, history = month_api
    raw = history.raw(api.database_url, *OCTOBER)
    total = raw["positive"] + raw["neutral"] + raw["negative"]
    for lang, month, heading in (("it", "ottobre 2026", "Rapporto mensile"), ("en", "October 2026", "Monthly report")):
        pdf = report(api, "pdf", lang)
        assert pdf.startswith(b"%PDF")
        text = _pdf_text(pdf)
        assert "Roma Capitale" in text
        assert f"{heading} {month}" in text
        pages = re.findall(r"(?:Pagina|Page) (\d+) / (\d+)", text)
        assert pages
        assert pages[0] == ("1", pages[0][1])
        assert len(pages) == int(pages[0][1])
        first_page = text.split("\f")[0]
        assert _number(total, lang) in first_page
        assert re.search(rf"\b{raw['misuse']}\b", first_page)
        page = report(api, "html", lang).decode()
        assert f'<html lang="{lang}">' in page
        assert "<h1>Roma Capitale</h1>" in page
        # The organisation's totals in the site table's rows add up; each face's count appears.
        assert f'<span class="value">{_number(total, lang)}</span>' in page
        for name in ("Sportello 2", "Numero verde", "Modulo web"):
            assert name in page


def test_a_month_not_over_is_refused(month_api: tuple[Api, History]) -> None:
    api, _ = month_api
    now = datetime.now(UTC)
    response = api.client.get(URL, params={"month": f"{now:%Y-%m}"}, headers=api.headers())
    assert response.status_code == 422
    assert response.json()["type"].endswith("/month-not-over")
    response = api.client.get(URL, params={"month": "2026-13"}, headers=api.headers())
    assert response.status_code == 422
