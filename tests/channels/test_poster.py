"""The QR poster: `mlf-collector poster` writes a PDF whose QR code, read back from the printed page,
opens the service point's rating page. `MLF_SCREENSHOTS=docs/screenshots` keeps a picture of it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
from PIL import Image
from pyzbar.pyzbar import decode

from tests.channels.conftest import ROOT, Live, prepare


def render_page(pdf: Path, out: Path, dpi: int) -> Image.Image:
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", "-f", "1", "-l", "1", str(pdf), str(out)], check=True)
    return Image.open(next(out.parent.glob(f"{out.name}*.png")))


def poster(live: Live, tmp_path: Path, *args: str) -> tuple[Path, str]:
    out = tmp_path / "poster.pdf"
    env = {k: v for k, v in os.environ.items() if not k.startswith("COLLECTOR_")}
    env.update(COLLECTOR_DATABASE_URL=live.database_url, COLLECTOR_PUBLIC_URL=live.url)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "collector.main",
            "poster",
            "--service-point",
            "torino-anagrafe",
            "--out",
            str(out),
            *args,
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return out, done.stdout


def test_the_poster_qr_opens_the_rating_page(live: Live, tmp_path: Path) -> None:
    url = prepare(live)
    pdf, said = poster(live, tmp_path)
    assert url in said
    text = " ".join(
        subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout.split()
    )
    assert "Come valuta il servizio ricevuto?" in text
    assert "How would you rate the service you received?" in text
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "595.276 x 841.89 pts (A4)" in info
    assert "Pages:           1" in info
    page = render_page(pdf, tmp_path / "page", 100)
    [code] = decode(page)
    assert code.data.decode() == url  # the same link: the poster did not make another one
    answer = httpx.get(code.data.decode())
    assert answer.status_code == 200
    assert "Come valuta il servizio ricevuto?" in answer.text
    target = os.environ.get("MLF_SCREENSHOTS")
    if target:
        picture = render_page(pdf, tmp_path / "shot", 60).convert("RGB").quantize(256)
        picture.save(ROOT / target / "poster-a4-it.png", optimize=True)


def test_an_a5_poster_in_english_first_and_a_wrong_service_point(live: Live, tmp_path: Path) -> None:
    prepare(live)
    pdf, _ = poster(live, tmp_path, "--size", "A5", "--lang", "en")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "419.528 x 595.276 pts" in info  # A5
    [code] = decode(render_page(pdf, tmp_path / "a5", 120))
    assert code.data.decode().startswith(f"{live.url}/r/")
    env = {k: v for k, v in os.environ.items() if not k.startswith("COLLECTOR_")}
    env.update(COLLECTOR_DATABASE_URL=live.database_url)
    wrong = subprocess.run(
        [sys.executable, "-m", "collector.main", "poster", "--service-point", "nowhere"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert wrong.returncode == 2
    assert "no service point 'nowhere'" in wrong.stderr
