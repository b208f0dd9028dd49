"""The web rating page in Debian's chromium (Playwright): a citizen rates, the rating arrives with channel
`web` once; axe-core finds nothing serious; the page is light and loads nothing from elsewhere.

`MLF_SCREENSHOTS=docs/screenshots` copies the pictures there (phone width and desktop).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import uvicorn
from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]
from PIL import Image
from playwright.sync_api import Browser, Page, ViewportSize, sync_playwright

from collector.api.app import create_app
from devstack.processes import free_port
from tests.fixtures.fix_api import api_settings, make_key

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-sync"]
PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1366, "height": 900}


@dataclass
class Live:
    url: str
    database_url: str
    admin: str


@pytest.fixture
def live(database_url: str) -> Iterator[Live]:
    """The collector's API in a thread of this process, on a free port, as a browser reaches it."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    app = create_app(api_settings(database_url, public_url=url, auth_failure_limit="100000/minute"))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the API did not start"
        time.sleep(0.05)
    try:
        yield Live(url, database_url, make_key(database_url, "admin"))
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield launched
        finally:
            launched.close()


def prepare(live: Live) -> str:
    headers = {"Authorization": f"Bearer {live.admin}"}
    with httpx.Client(base_url=live.url, headers=headers) as http:
        for path, body in (
            ("/v1/organisations", {"id": "torino", "name": "Città di Torino"}),
            ("/v1/organisations/torino/service-points", {"id": "torino-anagrafe", "name": "Anagrafe, sportello 1"}),
            (
                "/v1/organisations/torino/services",
                {"id": "cie", "name": "Carta d'identità", "name_en": "Identity card"},
            ),
        ):
            http.post(path, json=body).raise_for_status()
        made = http.post("/v1/organisations/torino/rating-links", json={"service_point": "torino-anagrafe"})
        made.raise_for_status()
        url: str = made.json()["url"]
    return url


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
