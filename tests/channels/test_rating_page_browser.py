"""The web rating page in Debian's chromium (Playwright): a citizen rates, the rating arrives with channel
`web` once; axe-core finds nothing serious; the page is light and loads nothing from elsewhere.

`MLF_SCREENSHOTS=docs/screenshots` copies the pictures there (phone width and desktop).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import psycopg
from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]
from PIL import Image
from playwright.sync_api import Browser, Page

from tests.channels.conftest import DESKTOP, PHONE, ROOT, Live, prepare


def serious(page: Page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def save(page: Page, tmp_path: Path, name: str) -> None:
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    target = os.environ.get("MLF_SCREENSHOTS")
    if target:
        Image.open(path).convert("RGB").quantize(256).save(ROOT / target / path.name, optimize=True)


def ratings(live: Live) -> list[tuple[Any, ...]]:
    with psycopg.connect(live.database_url) as conn:
        return conn.execute("SELECT channel::text, face::text, reason FROM ratings ORDER BY received_at").fetchall()


def watch(page: Page, origin: str) -> tuple[list[str], list[int]]:
    """Requests to anywhere but the collector and console errors (a style the policy blocks is one), and the
    bytes each page brought."""
    elsewhere: list[str] = []
    sizes: list[int] = []
    page.on("request", lambda r: elsewhere.append(r.url) if not r.url.startswith(origin) else None)
    page.on("console", lambda m: elsewhere.append(f"console: {m.text}") if m.type == "error" else None)
    page.on("response", lambda r: sizes.append(len(r.body())) if r.request.resource_type == "document" else None)
    return elsewhere, sizes


def test_a_citizen_rates_on_a_phone(live: Live, browser: Browser, tmp_path: Path) -> None:
    url = prepare(live)
    context = browser.new_context(viewport=PHONE, locale="it-IT", device_scale_factor=2)
    page = context.new_page()
    elsewhere, sizes = watch(page, live.url)
    page.goto(url)
    assert page.get_by_role("heading", level=1).inner_text() == "Come valuta il servizio ricevuto?"
    faces = page.locator("button.face")
    assert faces.first.evaluate("b => getComputedStyle(b).borderTopWidth") == "3px"  # the stylesheet applies
    boxes = [faces.nth(i).bounding_box() for i in range(3)]
    assert len({round(b["y"]) for b in boxes if b}) == 1  # three faces side by side, even on a phone
    assert serious(page) == []
    save(page, tmp_path, "web-rating-faces-it-390")
    page.get_by_role("button", name="Negativo").click()
    page.get_by_role("heading", name="Vuole dirci perché?").wait_for()
    assert serious(page) == []
    save(page, tmp_path, "web-rating-reasons-it-390")
    page.get_by_role("button", name="Tempo di attesa").click()
    page.get_by_role("heading", name="Grazie!").wait_for()
    assert serious(page) == []
    save(page, tmp_path, "web-rating-thanks-it-390")
    assert ratings(live) == [("web", "negative", "waiting-time")]
    page.reload()  # the browser posts the last form again
    page.get_by_role("heading", name="Grazie!").wait_for()
    assert ratings(live) == [("web", "negative", "waiting-time")]
    assert elsewhere == []
    assert max(sizes) < 50_000
    context.close()


def test_a_citizen_rates_on_a_desktop_in_english(live: Live, browser: Browser, tmp_path: Path) -> None:
    url = prepare(live)
    context = browser.new_context(viewport=DESKTOP, locale="it-IT")  # JavaScript on: the same plain form
    page = context.new_page()
    page.goto(url)
    page.get_by_role("link", name="English").click()
    page.get_by_role("heading", name="How would you rate the service you received?").wait_for()
    assert serious(page) == []
    save(page, tmp_path, "web-rating-faces-en-1366")
    page.get_by_role("button", name="Good").dblclick()  # an impatient double click is one rating
    page.get_by_role("heading", name="Thank you!").wait_for()
    assert ratings(live) == [("web", "positive", None)]
    context.close()


def test_without_javascript_the_plain_form_works(live: Live, browser: Browser) -> None:
    url = prepare(live)
    context = browser.new_context(viewport=PHONE, locale="en-GB", java_script_enabled=False)
    page = context.new_page()
    page.goto(url)
    page.get_by_role("button", name="Fair").click()
    page.get_by_role("heading", name="Thank you!").wait_for()
    assert ratings(live) == [("web", "neutral", None)]
    context.close()
