"""The board's "Enrol a kiosk" page in a real browser, against the collector as deployed: an administrator makes a
code, reads it and its QR (decoded back from the screen), prints the installer's sheet (one page, rendered to
a picture), a kiosk redeems the code with `POST /v1/enrolment` and the page names it, and a second code is
revoked after the page asks. axe-core finds nothing serious; screenshots at desktop and phone width, and of
the printed sheet, go to docs/screenshots with `MLF_SCREENSHOTS=docs/screenshots`."""

from __future__ import annotations

import json
import os
import re
import subprocess
import urllib.request
from io import BytesIO
from pathlib import Path

from PIL import Image
from playwright.sync_api import Browser, Page, expect
from pyzbar.pyzbar import decode

from tests.board.browser import DESKTOP, PHONE, Server, Watched
from tests.board.test_browser import ROOT, axe_serious, save, sign_in

PAGE = "/board/enrolment?org=comune"
POINT = "comune-anagrafe-1"


def make_code(
    page: Page, point: str = POINT, note: str = "Raspberry Pi 4, sportello 1", replaces: str | None = None
) -> str:
    """Fill the form as an installer's office would and return the code the page shows (dashes kept); with
    `replaces`, a code for the new device of that kiosk (which keeps its services)."""
    form = page.locator("#make form")
    form.get_by_label("Sportello").select_option(point)
    if replaces:
        form.get_by_label("Sostituisce il chiosco").select_option(replaces)
    else:
        form.get_by_label("Anagrafe").check()
    form.get_by_label("Valido per (giorni)").fill("3")
    form.get_by_label("Nota per te (facoltativa)").fill(note)
    form.get_by_role("button", name="Crea il codice").click()
    sheet = page.locator("#new-code")
    expect(sheet).to_be_visible()
    code = sheet.locator(".code .visually-hidden").inner_text()
    assert re.fullmatch(r"\d{4}-\d{4}-\d{4}-\d{4}", code), code
    expect(sheet.locator(".code-group")).to_have_text(code.split("-"))  # four groups, read aloud one by one
    return code


def enrol(server: Server, code: str) -> str:
    """What a kiosk with no identity does with the code: the kiosk id it is given."""
    request = urllib.request.Request(  # noqa: S310 - loopback
        f"{server.url}/v1/enrolment",
        data=json.dumps({"code": code, "software_version": "0.2.0"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - loopback
        kiosk: str = json.load(answer)["kiosk"]
    return kiosk


def test_an_admin_enrols_a_kiosk_from_the_board(browser: Browser, server: Server, admin: str, tmp_path: Path) -> None:
    context = browser.new_context(viewport=DESKTOP, locale="it-IT", device_scale_factor=1)
    try:
        page = sign_in(context, server, admin)
        watched = Watched(page).attach()
        page.get_by_role("link", name="Installa un chiosco").click()
        expect(page).to_have_url(re.compile("/board/enrolment$"))
        page.goto(server.url + PAGE)
        expect(page.locator("h1")).to_have_text("Installa un chiosco")
        expect(page.locator("#codes")).to_contain_text("Ancora nessun codice")

        first = make_code(page, note="Pi di prova")
        kiosk = enrol(server, first)  # the kiosk at the counter
        assert kiosk.startswith(f"{POINT}-k")
        page.goto(server.url + PAGE)
        used = page.locator("#codes tr.code-used")
        expect(used).to_have_count(1)
        expect(used).to_contain_text(f"dal chiosco {kiosk}")
        expect(page.locator("body")).not_to_contain_text(first)

        code = make_code(page)
        sheet = page.locator("#new-code")
        expect(sheet).to_contain_text("Vale una sola volta, fino al")
        expect(sheet.locator(".steps li")).to_have_count(3)
        expect(sheet.locator(".steps .alongside[lang=en]").first).to_contain_text("Connect the kiosk")
        expect(sheet.get_by_role("button", name="Stampa questo foglio")).to_be_visible()  # JavaScript shows it
        qr = sheet.locator("svg.qr")
        box = qr.bounding_box()
        assert box is not None
        assert box["width"] >= 240, box  # scanned from the screen by a kiosk's reader
        [read] = decode(Image.open(BytesIO(qr.screenshot())))
        assert read.data.decode() == f"MLF-ENROL {code} {server.url}"
        page.wait_for_load_state("networkidle")
        assert not watched.problems, watched.problems
        assert not axe_serious(page), axe_serious(page)
        save(page, tmp_path, "enrol-kiosk", "desktop")

        page.emulate_media(media="print")  # the installer's sheet, as the browser prints it
        expect(page.locator("#make")).to_be_hidden()
        expect(page.locator("#codes")).to_be_hidden()
        pdf = tmp_path / "sheet.pdf"
        page.pdf(path=str(pdf), format="A4", print_background=True)
        assert len(re.findall(rb"/Type\s*/Page\b", pdf.read_bytes())) == 1  # one page
        subprocess.run(["pdftoppm", "-r", "70", "-png", "-singlefile", str(pdf), str(tmp_path / "print")], check=True)
        printed = Image.open(tmp_path / "print.png")
        [read] = decode(printed)
        assert read.data.decode() == f"MLF-ENROL {code} {server.url}"
        if target := os.environ.get("MLF_SCREENSHOTS"):
            printed.convert("RGB").quantize(256).save(ROOT / target / "board-enrol-kiosk-print.png", optimize=True)
        page.emulate_media(media="screen")

        page.goto(server.url + PAGE)
        waiting = page.locator("#codes tr.code-pending")
        expect(waiting).to_have_count(1)
        waiting.get_by_text("Revoca…").click()
        expect(waiting).to_contain_text("Nessun chiosco potrà più usarlo")
        waiting.get_by_role("button", name="Sì, revocalo").click()
        expect(page.get_by_role("status")).to_contain_text("Il codice è stato revocato")
        expect(page.locator("#codes tr.code-revoked")).to_have_count(1)
        expect(page.locator("#codes tr.code-pending")).to_have_count(0)
        assert not watched.problems, watched.problems
    finally:
        context.close()


def test_the_page_at_phone_width(browser: Browser, server: Server, admin: str, tmp_path: Path) -> None:
    context = browser.new_context(viewport=PHONE, locale="it-IT", device_scale_factor=1)
    try:
        page = sign_in(context, server, admin)
        watched = Watched(page).attach()
        page.goto(server.url + PAGE)
        old = "comune-anagrafe-2-k1"  # two devices use its identity (a copied card): one gets a new device
        make_code(page, point="comune-anagrafe-2", note="Pi nuovo, sportello 2", replaces=old)
        expect(page.locator("#new-code")).to_contain_text(f"Sostituisce il chiosco {old}")
        expect(page.locator("#codes tr.code-pending").first).to_contain_text(f"Sostituisce {old}")
        box = page.locator("#new-code svg.qr").bounding_box()
        assert box is not None
        assert box["width"] >= 200, box
        page.wait_for_load_state("networkidle")
        assert not watched.problems, watched.problems
        assert not axe_serious(page), axe_serious(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
        save(page, tmp_path, "enrol-kiosk", "phone")
    finally:
        context.close()
