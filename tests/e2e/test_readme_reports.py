"""The README's reports block, run as written after the "first ten minutes" against a real collector,
mosquitto and PostgreSQL: citizens served posted, last month's report downloaded as XLSX and PDF."""

from __future__ import annotations

import io
import os
import re
import subprocess
from pathlib import Path

import openpyxl

from devstack.mosquitto import LocalMosquitto
from tests.e2e.test_readme_flow import newcomer_block
from tests.fixtures.fix_collector import CollectorProcess

ROOT = Path(__file__).resolve().parents[2]


def reports_block() -> str:
    text = (ROOT / "README.md").read_text()
    match = re.search(r"<!-- BEGIN reports.*?-->\n```sh\n(.*?)```\n<!-- END reports -->", text, re.S)
    assert match, "the README lost its reports block"
    return match.group(1)


def test_newcomer_posts_citizens_served_and_downloads_last_months_report(
    broker: LocalMosquitto, collector: CollectorProcess, database_url: str, tmp_path: Path
) -> None:
    seed = f".venv/bin/python -m tests.e2e.seed_last_month {database_url}\n"
    out = tmp_path / "reports"
    script = (newcomer_block() + seed + reports_block()).replace("var/reports", str(out))
    script = (
        script.replace("postgresql://mlf@127.0.0.1:15432/mlf", database_url)
        .replace("http://127.0.0.1:8000", collector.url)
        .replace("--port 11883", f"--port {broker.port}")
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COLLECTOR_", "KIOSK_"))}
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=240
    )
    assert done.returncode == 0, done.stderr + done.stdout
    assert '{"created":2,"corrected":0,"unchanged":0}' in done.stdout
    # 400 seeded ratings; 200 of them on the two posted days, by 345 citizens served.
    assert "400 {'served': 345, 'rated': 200, 'rate': 0.5797101449275363, 'coverage': 0.5}" in done.stdout
    files = sorted(p.name for p in out.iterdir())
    assert len(files) == 3
    xlsx = next(p for p in out.iterdir() if p.suffix == ".xlsx")
    book = openpyxl.load_workbook(io.BytesIO(xlsx.read_bytes()))
    org = book["Ente"]
    assert [c.value for c in org[2]][1:3] == [400, 280]
    for pdf in (p for p in out.iterdir() if p.suffix == ".pdf"):
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert "Città di Torino" in text
        assert "400" in text
    assert any("Monthly report" in subprocess.run(["pdftotext", str(p), "-"], capture_output=True, text=True).stdout
               for p in out.iterdir() if p.name.endswith("-en.pdf"))  # fmt: skip
