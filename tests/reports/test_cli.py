"""The operator's commands for reports: opening hours, citizens served from CSV (all or nothing, the line
named), public results, and `mlf-collector report` writing XLSX, PDF and HTML."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import openpyxl

from tests.fixtures.fix_api import Api
from tests.reports.history import ORG, History


def cli(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COLLECTOR_")}
    env["COLLECTOR_DATABASE_URL"] = database_url
    return subprocess.run(
        [sys.executable, "-m", "collector.main", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def ok(database_url: str, *args: str) -> str:
    done = cli(database_url, *args)
    assert done.returncode == 0, done.stderr
    return done.stdout


def fails(database_url: str, *args: str) -> str:
    done = cli(database_url, *args)
    assert done.returncode == 2, done.stdout
    assert done.stderr.count("\n") == 1, done.stderr
    return done.stderr


def test_served_csv_import_is_all_or_nothing(month_api: tuple[Api, History], tmp_path: Path) -> None:
    api, _ = month_api
    url = api.database_url
    good = tmp_path / "served.csv"
    good.write_text(
        "service_point,service,day,hour,served\n"
        "roma-eur-1,,2026-10-12,,95\n"
        "roma-eur-1,,2026-10-13,,102\n"
        "roma-centro-2,anagrafe,,2026-10-14T09:00:00+02:00,11\n"
    )
    assert "3 rows: 3 new, 0 corrected, 0 unchanged" in ok(url, "admin", "served", "import", "--org", ORG, str(good))
    before = api.get(f"/v1/organisations/{ORG}/citizens-served", **{"from": "2026-10-01", "to": "2026-11-01"})
    for text, words in (
        ("service_point,served,day\nroma-eur-1,ten,2026-10-15\n", "served.csv:2: served must be a whole number"),
        ("service_point,served,day\nroma-eur-1,5,2026-10-15\nroma-eur-1,5,2026-10-32\n", "served.csv:3: day"),
        ("service_point,served,day\nroma-eur-1,5,2026-10-16\nnowhere,5,2026-10-16\n", "served.csv:3"),
        ("service_point,served,day,hour\nroma-eur-1,5,2026-10-17,\nroma-eur-1,1,,2026-10-17T10:00:00+02:00\n",
         "served.csv:3"),
        ("point,served\nx,1\n", "served.csv:1: the header"),
    ):  # fmt: skip
        good.write_text(text)
        assert words in fails(url, "admin", "served", "import", "--org", ORG, str(good))
    after = api.get(f"/v1/organisations/{ORG}/citizens-served", **{"from": "2026-10-01", "to": "2026-11-01"})
    assert after == before  # nothing half-imported
    good.write_text("service_point,served,day\nroma-eur-1,90,2026-10-12\nroma-eur-1,102,2026-10-13\n")
    assert "1 corrected, 1 unchanged" in ok(url, "admin", "served", "import", "--org", ORG, str(good))


def test_hours_and_public_from_the_command_line(month_api: tuple[Api, History]) -> None:
    api, _ = month_api
    url = api.database_url
    out = ok(url, "admin", "hours", "set", "--org", ORG, "--site", "roma-eur", "--mon", "08:30-12:30,14:00-16:00",
             "--fri", "08:30-12:30")  # fmt: skip
    assert "mon 08:30-12:30, 14:00-16:00" in out
    assert "tue closed" in out
    ok(url, "admin", "hours", "exception", "--org", ORG, "--date", "2026-12-25", "--note", "Natale")
    shown = ok(url, "admin", "hours", "show", "--service-point", "roma-eur-1", "--from", "2026-12-21")
    assert "Mon 2026-12-21 08:30 - 12:30 CET" in shown
    assert "open 6.0 hours" in shown  # Monday 6 h, Friday 25 closed
    assert "08:30" in fails(url, "admin", "hours", "set", "--org", ORG, "--mon", "12:30-08:30")
    assert "published" in ok(url, "admin", "public", "set", "--org", ORG, "--enabled", "--min-count", "20")
    assert api.get(f"/v1/organisations/{ORG}/public-results") == {"enabled": True, "min_count": 20}
    ok(url, "admin", "public", "set", "--org", ORG, "--no-enabled")
    assert api.client.get(f"/public/organisations/{ORG}/results.json").status_code == 404


def test_report_command_writes_each_format(month_api: tuple[Api, History], tmp_path: Path) -> None:
    api, _ = month_api
    url = api.database_url
    for fmt, magic in (("xlsx", b"PK"), ("pdf", b"%PDF"), ("html", b"<!DOCTYPE html>"), ("json", b"{")):
        out = tmp_path / f"report.{fmt}"
        said = ok(url, "report", "--org", ORG, "--month", "2026-10", "--format", fmt, "--lang", "en", "--out", str(out))
        assert f"wrote {out}" in said
        assert out.read_bytes().startswith(magic)
    book = openpyxl.load_workbook(tmp_path / "report.xlsx")
    assert book.sheetnames[0] == "Summary"
    assert "has not ended" in fails(url, "report", "--org", ORG, "--month", "2999-01", "--out", str(tmp_path / "x"))
    assert "no organisation" in fails(url, "report", "--org", "nobody", "--out", str(tmp_path / "x"))
