"""The monthly report's improvement actions: those taken in the month, with green and red before and after and
the verdict, equal to the raw rows of their windows, in JSON, XLSX (typed cells), PDF and HTML."""

from __future__ import annotations

import io
import subprocess
from datetime import datetime, timedelta

import openpyxl
import pytest

from tests.fixtures.fix_api import Api
from tests.reports.history import ORG, History, local

URL = f"/v1/organisations/{ORG}/reports/monthly"
ACTION = {"role": "responsabile ufficio", "window_days": 14}


def _shares(history: History, sp: str, start: datetime, end: datetime) -> tuple[float, float]:
    """Green and red shares of the raw presses (misuse apart: none at this service point) of [start, end)."""
    faces = [p.face.value for p in history.presses if p.service_point == sp and start <= p.at < end]
    return faces.count("positive") / len(faces), faces.count("negative") / len(faces)


@pytest.fixture(scope="module")
def with_actions(month_api: tuple[Api, History]) -> tuple[Api, History]:
    api, history = month_api
    for body in (
        {"service_point": "roma-centro-2", "taken_on": "2026-10-05", "description": "Un secondo operatore",
         "expected_effect": "meno attesa"},
        {"service": "tributi", "taken_on": "2026-10-20", "description": "Modulo TARI semplificato"},
        {"service_point": "roma-eur-1", "taken_on": "2026-09-28", "description": "Nuova segnaletica"},  # September
    ):  # fmt: skip
        api.post(f"/v1/organisations/{ORG}/actions", {**ACTION, **body})
    return api, history


def test_the_months_actions_with_before_and_after_from_the_raw_rows(with_actions: tuple[Api, History]) -> None:
    api, history = with_actions
    got = api.get(URL, month="2026-10")["actions"]
    assert [(a["day"], a["service_point"], a["service"]) for a in got] == [
        ("2026-10-05", "Sportello 2", None), ("2026-10-20", None, "Tributi (IMU, TARI)")]  # fmt: skip
    counter = got[0]
    day = local(2026, 10, 5)
    before = _shares(history, "roma-centro-2", day - timedelta(days=14), day)
    after = _shares(history, "roma-centro-2", day, day + timedelta(days=14))
    assert (counter["green_before"], counter["red_before"]) == pytest.approx(before, abs=1e-12)
    assert (counter["green_after"], counter["red_after"]) == pytest.approx(after, abs=1e-12)
    assert counter["green_change"][0] == pytest.approx(after[0] - before[0], abs=1e-12)
    low, high = counter["green_change"][1:]
    assert low < counter["green_change"][0] < high
    assert counter["verdict"] in ("improved", "worse", "no_clear_change")  # enough ratings for a verdict
    measured = api.get(f"/v1/organisations/{ORG}/actions", service_point="roma-centro-2")[0]["effect"]
    assert measured["verdict"] == counter["verdict"]  # the report reads the API's own measure


def test_xlsx_pdf_and_html_show_them(with_actions: tuple[Api, History]) -> None:
    api, _ = with_actions
    got = api.get(URL, month="2026-10")["actions"][0]

    def fetch(fmt: str, lang: str) -> bytes:
        response = api.client.get(URL, params={"month": "2026-10", "format": fmt, "lang": lang}, headers=api.headers())
        assert response.status_code == 200, response.text
        return response.content

    book = openpyxl.load_workbook(io.BytesIO(fetch("xlsx", "it")))
    sheet = book["Azioni"]
    heads = [c.value for c in sheet[1]]
    assert heads[5:9] == ["Effetto atteso", "Verdi prima", "Verdi dopo", "Verdi, variazione"]
    assert heads[-1] == "Effetto"
    row = {h: c for h, c in zip(heads, sheet[2], strict=True)}
    assert row["Verdi prima"].value == pytest.approx(got["green_before"])
    assert row["Verdi prima"].number_format == "0.0%"
    assert row["Verdi, variazione"].value == pytest.approx(100 * got["green_change"][0])
    assert row["Cosa è stato cambiato"].value == "Un secondo operatore"
    assert row["Effetto atteso"].value == "meno attesa"
    verdicts = {"improved": "migliorato", "worse": "peggiorato", "no_clear_change": "nessun cambiamento chiaro"}
    assert row["Effetto"].value == verdicts[got["verdict"]]
    assert sheet.max_row == 3  # two actions of October, the September one is not there

    for lang, title, verdict in (("it", "Verdi prima → dopo", verdicts[got["verdict"]]),
                                 ("en", "Green before → after", got["verdict"].replace("_", " "))):  # fmt: skip
        html = fetch("html", lang).decode()
        assert title in html
        assert verdict in html
        assert "Un secondo operatore" in html
        text = subprocess.run(["pdftotext", "-", "-"], input=fetch("pdf", lang), capture_output=True, check=True)
        words = " ".join(text.stdout.decode().split())
        assert "Un secondo operatore" in words
        assert verdict in words
