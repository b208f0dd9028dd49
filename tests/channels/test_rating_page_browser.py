"""The web rating page in Debian's chromium (Playwright): a citizen rates, the rating arrives with channel
`web` once; axe-core finds nothing serious; the page is light and loads nothing from elsewhere. With
JavaScript the page sends without reloading and survives a failure with the choice kept; without it, the
plain form does the same in pages.

`MLF_SCREENSHOTS=docs/screenshots` copies the pictures there (phone width and desktop).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import psycopg
from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]
from PIL import Image
from playwright.sync_api import Browser, Page, Route

from collector.channels import page as rating_page
from i18n import translator
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


STEPS = ("document", "fetch")
"""What brings a step of the page: the page itself, or the script's request for the next step."""


def watch(page: Page, origin: str) -> tuple[list[str], list[int]]:
    """Requests to anywhere but the collector and console errors (a style or script the policy blocks is one),
    and the bytes each step brought (everything it shows is inline: style, script, faces)."""
    elsewhere: list[str] = []
    sizes: list[int] = []
    page.on("request", lambda r: elsewhere.append(r.url) if not r.url.startswith(origin) else None)
    page.on("console", lambda m: elsewhere.append(f"console: {m.text}") if m.type == "error" else None)
    page.on("response", lambda r: sizes.append(len(r.body())) if r.request.resource_type in STEPS else None)
    return elsewhere, sizes


def posts(page: Page) -> list[str]:
    """The POSTs the page makes (forms or the script's requests)."""
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if r.method == "POST" else None)
    return sent


def stayed(page: Page) -> bool:
    """True while the page has not been reloaded or left since `mark`."""
    return bool(page.evaluate("window.mlfStayed === true"))


def mark(page: Page) -> None:
    page.evaluate("window.mlfStayed = true")


def focused(page: Page) -> str:
    return str(page.evaluate("document.activeElement.tagName + ':' + document.activeElement.textContent.trim()"))


def test_a_citizen_rates_on_a_phone(live: Live, browser: Browser, tmp_path: Path) -> None:
    url = prepare(live)
    context = browser.new_context(viewport=PHONE, locale="it-IT", device_scale_factor=2)
    page = context.new_page()
    elsewhere, sizes = watch(page, live.url)
    sent = posts(page)
    page.goto(url)
    assert page.get_by_role("heading", level=1).inner_text() == "Come valuta il servizio ricevuto?"
    faces = page.locator("button.face")
    assert faces.first.evaluate("b => getComputedStyle(b).borderTopWidth") == "3px"  # the stylesheet applies
    boxes = [faces.nth(i).bounding_box() for i in range(3)]
    assert len({round(b["y"]) for b in boxes if b}) == 1  # three faces side by side, even on a phone
    assert serious(page) == []
    save(page, tmp_path, "web-rating-faces-it-390")
    mark(page)
    page.get_by_role("button", name="Negativo").focus()
    page.keyboard.press("Enter")  # by keyboard: the reasons come in place, the focus on their question
    page.get_by_role("heading", name="Vuole dirci perché?").wait_for()
    assert stayed(page)
    assert focused(page) == "H1:Vuole dirci perché?"
    assert ratings(live) == [("web", "negative", None)]  # the red face counts at once
    page.keyboard.press("Tab")
    assert focused(page) == "BUTTON:Tempo di attesa"
    assert serious(page) == []
    save(page, tmp_path, "web-rating-reasons-it-390")
    assert focused(page) == "BUTTON:Tempo di attesa"
    page.wait_for_timeout(700)  # a citizen reads: a press in the first 600 ms is taken for a double tap's second
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Grazie!").wait_for()
    assert stayed(page)
    assert focused(page) == "H1:Grazie!"
    assert serious(page) == []
    save(page, tmp_path, "web-rating-thanks-it-390")
    assert ratings(live) == [("web", "negative", "waiting-time")]
    assert len(sent) == 2
    assert elsewhere == []  # nothing from elsewhere, no error (a script the policy blocked would be one)
    assert len(sizes) == 3  # the page, then two steps in place: no reload
    assert max(sizes) < 50_000
    context.close()


def test_a_double_click_posts_once_on_a_desktop_in_english(live: Live, browser: Browser, tmp_path: Path) -> None:
    url = prepare(live)
    context = browser.new_context(viewport=DESKTOP, locale="it-IT")
    page = context.new_page()
    elsewhere, _ = watch(page, live.url)
    page.goto(url)
    page.get_by_role("link", name="English").click()
    page.get_by_role("heading", name="How would you rate the service you received?").wait_for()
    assert serious(page) == []
    save(page, tmp_path, "web-rating-faces-en-1366")
    sent = posts(page)
    page.get_by_role("button", name="Good").dblclick()  # an impatient double click
    page.get_by_role("heading", name="Thank you!").wait_for()
    assert len(sent) == 1  # the second press sent nothing
    assert ratings(live) == [("web", "positive", None)]
    assert elsewhere == []
    context.close()


def test_offline_the_choice_is_kept_and_sent_on_retry(live: Live, browser: Browser, tmp_path: Path) -> None:
    url = prepare(live)
    context = browser.new_context(viewport=PHONE, locale="it-IT", device_scale_factor=2)
    page = context.new_page()
    page.goto(url)
    mark(page)
    context.set_offline(True)
    page.get_by_role("button", name="Positivo").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert alert.inner_text().startswith(translator("it")(rating_page.OFFLINE))
    assert page.get_by_role("button", name="Positivo").get_attribute("aria-pressed") == "true"  # the choice kept
    assert focused(page) == "BUTTON:Riprova"
    assert ratings(live) == []
    assert serious(page) == []
    save(page, tmp_path, "web-rating-offline-it-390")
    context.set_offline(False)
    page.get_by_role("button", name="Riprova").click()
    page.get_by_role("heading", name="Grazie!").wait_for()
    assert stayed(page)
    assert ratings(live) == [("web", "positive", None)]
    context.close()


def test_too_many_requests_says_so_and_a_retry_is_one_rating(live: Live, browser: Browser) -> None:
    url = prepare(live)
    context = browser.new_context(viewport=PHONE, locale="en-GB")
    page = context.new_page()
    refused: list[str] = []

    def proxy(route: Route) -> None:
        """A fake reverse proxy in front of the collector that refuses the first POST with 429 (the collector
        itself keeps an excess as misuse), then passes everything on."""
        if route.request.method == "POST" and not refused:
            refused.append(route.request.url)
            route.fulfill(status=429, headers={"Retry-After": "60"}, body="Too Many Requests")
        else:
            route.continue_()

    page.route(url, proxy)
    page.goto(url)
    page.get_by_role("button", name="Poor").click()
    page.get_by_role("alert").wait_for()
    assert page.get_by_role("alert").inner_text().startswith(translator("en")(rating_page.LIMITED))
    assert ratings(live) == []
    page.get_by_role("button", name="Try again").click()
    page.get_by_role("heading", name="Would you like to tell us why?").wait_for()
    assert serious(page) == []
    page.wait_for_timeout(700)  # a citizen reads: a tap in the first instants is the rest of a double tap
    page.get_by_role("button", name="Skip").click()
    page.get_by_role("heading", name="Thank you!").wait_for()
    assert ratings(live) == [("web", "negative", None)]
    context.close()


def test_without_javascript_the_plain_form_works(live: Live, browser: Browser) -> None:
    url = prepare(live)
    context = browser.new_context(viewport=PHONE, locale="en-GB", java_script_enabled=False)
    page = context.new_page()
    sent = posts(page)
    page.goto(url)
    page.get_by_role("button", name="Fair").click()
    page.get_by_role("heading", name="Thank you!").wait_for()
    assert ratings(live) == [("web", "neutral", None)]
    page.goto(url)
    page.get_by_role("button", name="Poor").click()
    page.get_by_role("heading", name="Would you like to tell us why?").wait_for()  # (axe needs JavaScript)
    page.get_by_role("button", name="Waiting time").click()
    page.get_by_role("heading", name="Thank you!").wait_for()
    page.reload()  # the browser posts the last form again
    page.get_by_role("heading", name="Thank you!").wait_for()
    assert ratings(live) == [("web", "neutral", None), ("web", "negative", "waiting-time")]
    assert len(sent) == 4  # plain form posts, one per step, and the reload's
    context.close()
