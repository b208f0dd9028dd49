"""The board in a real browser (Debian's chromium, driven by Playwright), served by the collector as deployed.

Every page loads with no console error and no failed request, axe-core finds no serious or critical
violation, the deliberately bad counter is first and flagged, sign-in, sign-out, the one-time link and an
expired session behave, the keyboard reaches the filters and the drill-down, and a refresh keeps the reader's
place. Screenshots of every page at desktop and phone width are saved (`MLF_SCREENSHOTS=docs/screenshots`
also copies the chosen few there, for the README).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import psycopg
import pytest
from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.board.browser import DESKTOP, PHONE, Server, Watched, off_loop
from tests.fixtures.fix_api import make_key
from tests.fixtures.fix_board import BAD, sign_in_link

ROOT = Path(__file__).resolve().parents[2]
PAGES = {
    "overview": "/board?org=comune",
    "service-point": f"/board/service-points/{BAD}",
    "fleet": "/board/fleet?org=comune",
}
DOCS = {("overview", "desktop"), ("overview", "phone"), ("service-point", "desktop"), ("service-point", "phone")}
DOCS |= {("fleet", "desktop"), ("sign-in", "desktop"), ("web-rating-page", "desktop")}
DOCS |= {("enrol-kiosk", "desktop"), ("enrol-kiosk", "phone")}  # tests/board/test_enrol_browser.py
"""Which screenshots go to docs/screenshots as board-<page>-<width>.png (the README shows them)."""
SERIOUS = {"serious", "critical"}
WIDER_THAN_SCREEN = """[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right >
  document.documentElement.clientWidth + 1).slice(0, 5).map(e => e.tagName + '.' + e.className.baseVal + e.className)"""


def sign_in(context: BrowserContext, server: Server, token: str) -> Page:
    page = context.new_page()
    page.goto(f"{server.url}/board/sign-in")
    page.get_by_label(re.compile("API")).fill(token)
    page.get_by_role("button", name=re.compile("Accedi|Sign in")).click()
    page.wait_for_url(f"{server.url}/board")
    page.wait_for_load_state("networkidle")  # the icon too: leaving earlier would abort its request
    return page


def axe_serious(page: Page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in SERIOUS
    ]


def save(page: Page, tmp_path: Path, name: str, width: str) -> Path:
    path = tmp_path / f"board-{name}-{width}.png"
    page.screenshot(path=str(path), full_page=True)
    target = os.environ.get("MLF_SCREENSHOTS")
    if target and (name, width) in DOCS:  # a palette of 256 colours: a third of the size, the same to the eye
        Image.open(path).convert("RGB").quantize(256).save(ROOT / target / path.name, optimize=True)
    return path


@pytest.mark.parametrize("width", ["desktop", "phone"])
@pytest.mark.parametrize("name", [*PAGES, "sign-in"])
def test_every_page_loads_clean_and_accessible(
    browser: Browser, server: Server, admin: str, tmp_path: Path, name: str, width: str
) -> None:
    viewport = DESKTOP if width == "desktop" else PHONE
    context = browser.new_context(viewport=viewport, locale="it-IT", device_scale_factor=1)
    try:
        if name == "sign-in":
            page = context.new_page()
            watched = Watched(page).attach()
            page.goto(f"{server.url}/board/sign-in")
        else:
            page = sign_in(context, server, admin)
            watched = Watched(page).attach()
            page.goto(server.url + PAGES[name])
        page.wait_for_load_state("networkidle")
        assert page.locator("h1").first.is_visible()
        assert not watched.problems, watched.problems
        assert not axe_serious(page), axe_serious(page)
        shot = save(page, tmp_path, name, width)
        assert shot.stat().st_size > 5000
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        wide = page.evaluate(WIDER_THAN_SCREEN)
        assert scroll_width <= viewport["width"] + 1, f"{name} scrolls sideways at {viewport['width']} px: {wide}"
    finally:
        context.close()


def test_the_bad_counter_is_first_and_flagged(browser: Browser, server: Server, admin: str) -> None:
    context = browser.new_context(viewport=DESKTOP, locale="en-GB")
    try:
        page = sign_in(context, server, admin)
        first = page.locator("table.points tbody tr").first
        expect(first.locator("th a")).to_have_text("Tributi, sportello 1")
        expect(first).to_contain_text("Below target")
        expect(first).to_contain_text("Green at most")
        expect(page.locator("table.points")).to_contain_text("Not enough data")
        first.locator("th a").click()
        expect(page.locator("h1")).to_have_text("Tributi, sportello 1")
        expect(page.locator(".headline")).to_contain_text("Below target")
        expect(page.locator("svg.trend.wide title")).to_contain_text("Green share")
        expect(page.locator("table.reasons")).to_contain_text("Waiting time")
    finally:
        context.close()


def test_all_organisations_show_sites_organisations_and_service_points_by_name(
    browser: Browser, server: Server, admin: str, tmp_path: Path
) -> None:
    """Over every organisation a manager reads names, never the ids integrators use (ids stay in the links)."""
    context = browser.new_context(viewport=DESKTOP, locale="it-IT")
    try:
        page = sign_in(context, server, admin)
        first = page.locator("table.points tbody tr").first
        expect(first.locator("th a")).to_have_text("Tributi, sportello 1")
        expect(first.locator("th .sub")).to_have_text("Sede centrale · Centro · Comune di Vallefiorita")
        health = page.locator("table.points tbody tr", has=page.get_by_role("link", name="CUP, sportello 1"))
        expect(health.locator("th .sub")).to_have_text("Poliambulatorio · Centro · ASL Vallefiorita")
        listed = page.locator("table.points").inner_text()
        for site in ("comune-centro", "comune-nord", "asl-sede"):
            assert site not in listed, site
        save(page, tmp_path, "overview-all", "desktop")
        page.goto(f"{server.url}/board/fleet")
        kiosk = page.locator("table.kiosks tbody tr", has_text=f"{BAD}-k1")
        expect(kiosk.get_by_role("link", name="Tributi, sportello 1")).to_have_attribute(
            "href", f"/board/service-points/{BAD}"
        )
        save(page, tmp_path, "fleet-all", "desktop")
    finally:
        context.close()


@pytest.mark.parametrize(("locale", "typed"), [("it-IT", "01022026"), ("en-GB", "02012026")])
def test_date_fields_follow_the_pages_language(
    browser: Browser, server: Server, admin: str, locale: str, typed: str
) -> None:
    """Day first in Italian (dd/mm/yyyy), month first in English: the same keys mean 1 February 2026."""
    context = browser.new_context(viewport=DESKTOP, locale=locale)
    try:
        page = sign_in(context, server, admin)
        assert page.locator("html").get_attribute("lang") == locale[:2]
        page.locator("#f-from").focus()
        page.keyboard.type(typed)
        expect(page.locator("#f-from")).to_have_value("2026-02-01")
    finally:
        context.close()


def test_sign_in_sign_out_and_an_expired_session(browser: Browser, server: Server, board_db: str) -> None:
    token = off_loop(make_key, board_db, "reader", name="to expire")
    context = browser.new_context(viewport=DESKTOP, locale="en-GB")
    try:
        page = context.new_page()
        page.goto(f"{server.url}/board/fleet")  # not signed in: the sign-in page, then back where we were
        expect(page).to_have_url(re.compile(r"/board/sign-in\?next="))
        page.get_by_label(re.compile("API key")).fill("mlf_aaaaaaaaaaaa_" + "x" * 43)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("alert")).to_contain_text("unknown")
        page.get_by_label(re.compile("API key")).fill(token)
        page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(f"{server.url}/board/fleet")
        cookie = next(c for c in context.cookies() if c["name"] == "mlf_board_session")
        assert cookie.get("httpOnly")
        assert cookie.get("sameSite") == "Strict"
        assert cookie.get("path") == "/board"
        assert token not in str(context.cookies())

        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_role("status")).to_contain_text("signed out")
        page.goto(f"{server.url}/board")  # the old cookie (if a copy was kept) is dead server-side
        context.add_cookies(
            [{"name": cookie["name"], "value": cookie["value"], "domain": "127.0.0.1", "path": "/board"}]
        )
        page.goto(f"{server.url}/board")
        expect(page).to_have_url(re.compile("/board/sign-in"))

        page.get_by_label(re.compile("API key")).fill(token)
        page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(f"{server.url}/board")
        with psycopg.connect(board_db, autocommit=True) as conn:
            conn.execute("UPDATE board_sessions SET expires_at = now() - interval '1 second' WHERE ended_at IS NULL")
        page.reload()
        expect(page).to_have_url(re.compile(r"/board/sign-in\?next=%2Fboard&notice=expired"))
        expect(page.get_by_role("status")).to_contain_text("session has ended")
    finally:
        context.close()


def test_the_one_time_link(browser: Browser, server: Server, board_db: str, admin: str) -> None:
    link = f"{server.url}/board/sign-in?link={off_loop(sign_in_link, board_db, admin)}"
    context = browser.new_context(viewport=DESKTOP, locale="en-GB")
    try:
        page = context.new_page()
        page.goto(link)
        expect(page).to_have_url(f"{server.url}/board")  # a clean URL: the link is not in the address bar
        expect(page.locator("table.points")).to_be_visible()
        other = browser.new_context(viewport=DESKTOP, locale="en-GB")
        again = other.new_page()
        again.goto(link)  # used once: dead
        expect(again.get_by_role("alert")).to_contain_text("used already or has expired")
        other.close()
    finally:
        context.close()


def test_keyboard_reaches_the_filters_and_the_drill_down(browser: Browser, server: Server, admin: str) -> None:
    context = browser.new_context(viewport=DESKTOP, locale="en-GB")
    try:
        page = sign_in(context, server, admin)
        page.goto(f"{server.url}/board")
        reached: list[str] = []
        for _ in range(60):
            page.keyboard.press("Tab")
            reached.append(page.evaluate("document.activeElement.id || document.activeElement.textContent.trim()"))
            if reached[-1] == "Tributi, sportello 1":
                break
        assert "f-org" in reached, reached
        assert "f-period" in reached, reached
        assert reached[-1] == "Tributi, sportello 1", reached
        page.keyboard.press("Enter")
        expect(page.locator("h1")).to_have_text("Tributi, sportello 1")
        page.locator("#trend-table summary").focus()
        page.keyboard.press("Enter")
        expect(page.locator("#trend-table table")).to_be_visible()
    finally:
        context.close()


def test_a_manager_makes_the_web_page_opens_it_and_prints_its_poster(
    browser: Browser, server: Server, admin: str, board_db: str, tmp_path: Path
) -> None:
    point = "comune-anagrafe-1"
    context = browser.new_context(viewport=DESKTOP, locale="it-IT", accept_downloads=True, device_scale_factor=1)
    try:
        page = sign_in(context, server, admin)
        watched = Watched(page).attach()
        page.goto(f"{server.url}/board/service-points/{point}")
        section = page.locator("#web-page")
        expect(section).to_contain_text("non ha ancora una pagina di valutazione web")
        section.get_by_role("button", name="Crea la pagina di valutazione web").click()
        expect(page).to_have_url(f"{server.url}/board/service-points/{point}#web-page")
        link = section.locator("a.rating-link")
        expect(link).to_have_count(1)
        expect(section.get_by_role("button")).to_have_count(0)  # made once: no second button
        expect(page.locator("#channel-web")).to_contain_text("Web")
        expect(page.locator("#channel-phone")).to_contain_text("Telefono")
        page.wait_for_load_state("networkidle")
        assert not watched.problems, watched.problems
        assert not axe_serious(page), axe_serious(page)
        save(page, tmp_path, "web-rating-page", "desktop")

        with page.expect_popup() as opened:
            link.click()
        rating = opened.value
        rating.wait_for_load_state()
        assert rating.url.startswith(f"{server.url}/r/")
        expect(rating.locator("button.face")).to_have_count(3)
        rating.close()

        with page.expect_download() as got:
            section.get_by_role("link", name="Stampa il poster (PDF)").click()
        saved = tmp_path / got.value.suggested_filename
        got.value.save_as(saved)
        assert saved.name == f"poster-{point}.pdf"
        assert saved.read_bytes().startswith(b"%PDF-")
    finally:
        context.close()

    reader = off_loop(make_key, board_db, "reader", name="sees no button")
    context = browser.new_context(viewport=DESKTOP, locale="it-IT")
    try:
        page = sign_in(context, server, reader)
        page.goto(f"{server.url}/board/service-points/{point}")
        expect(page.locator("#web-page a.rating-link")).to_have_count(1)
        expect(page.locator("#web-page").get_by_role("button")).to_have_count(0)
        page.goto(f"{server.url}/board/service-points/{BAD}")
        expect(page.locator("#web-page")).to_contain_text("non ha ancora una pagina di valutazione web")
        expect(page.locator("#web-page").get_by_role("button")).to_have_count(0)
    finally:
        context.close()


def test_refresh_keeps_the_readers_place(browser: Browser, server: Server, admin: str) -> None:
    context = browser.new_context(viewport=PHONE, locale="en-GB")
    try:
        page = sign_in(context, server, admin)
        page.goto(f"{server.url}/board/service-points/{BAD}")
        page.locator("#faces-table summary").click()
        page.locator("#heat-table summary").focus()
        page.evaluate("window.scrollTo(0, 900)")
        before = page.locator("[data-live] .updated").get_attribute("data-at")
        page.wait_for_function(
            "before => document.querySelector('[data-live] .updated').dataset.at !== before",
            arg=before,
            timeout=10_000,
        )
        assert page.evaluate("document.getElementById('faces-table').open")
        assert page.evaluate("document.activeElement.closest('details').id") == "heat-table"
        assert abs(page.evaluate("window.scrollY") - 900) < 2
    finally:
        context.close()
