"""Look at the report as a manager would: the PDF's first page as a picture (A4 landscape, not blank, the
headline where it belongs) and the spreadsheet's service points sheet. `MLF_SCREENSHOTS=docs/screenshots`
also writes the two pictures the README shows."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from pathlib import Path

import openpyxl
from PIL import Image

from tests.fixtures.fix_api import Api
from tests.reports.history import ORG, History
from tests.reports.sheet_picture import draw

URL = f"/v1/organisations/{ORG}/reports/monthly"


def test_pictures_of_the_report(month_api: tuple[Api, History], tmp_path: Path) -> None:
    api, _ = month_api
    days = [f"2026-10-{d:02d}" for d in range(1, 32)]
    served = [{"service_point": sp, "day": day, "served": n} for sp, n in (("roma-centro-1", 28), ("roma-eur-1", 31),
              ("roma-centro-2", 30)) for day in days]  # fmt: skip
    api.post(f"/v1/organisations/{ORG}/citizens-served", served)
    pdf = api.client.get(URL, params={"month": "2026-10", "format": "pdf"}, headers=api.headers()).content
    (tmp_path / "report.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "70", "-png", "-f", "1", "-l", "1", str(tmp_path / "report.pdf"),
                    str(tmp_path / "page")], check=True)  # fmt: skip
    page = next(tmp_path.glob("page-*1.png"))
    with Image.open(page) as opened:
        picture = opened.convert("RGB")
    width, height = picture.size
    assert abs(width / height - 297 / 210) < 0.02  # A4 landscape
    header = picture.crop((0, 0, width, height // 3))
    assert len(header.getcolors(maxcolors=100_000) or []) > 10  # text, not a blank page
    xlsx = api.client.get(URL, params={"month": "2026-10", "format": "xlsx"}, headers=api.headers()).content
    book = openpyxl.load_workbook(io.BytesIO(xlsx))
    sheet_png = tmp_path / "report-xlsx.png"
    draw(book["Sportelli"], sheet_png, rows=7, columns=13)
    with Image.open(sheet_png) as drawn:
        assert drawn.width > 900
    if target := os.environ.get("MLF_SCREENSHOTS"):
        shutil.copy(page, Path(target) / "report-pdf-page-1.png")
        shutil.copy(sheet_png, Path(target) / "report-xlsx.png")
