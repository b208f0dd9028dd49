"""Every board page on a small phone (360 x 740, and 390 x 844), in every language, signed in as an administrator:
nothing scrolls sideways, the header's sections, languages and Sign out and the organisation selector lie
whole inside the screen, no select cuts off the name it shows (an organisation's name above all), no cell of a
table shown as cards runs into its neighbour, and every control a thumb aims at is at least 44 px square
(WCAG 2.5.5; a link inside a sentence excepted). In Italian, axe-core finds nothing serious on any of them.

The pages: sign-in, the service points (all organisations, and one), a service point (the bad counter, and one
with its web rating page just made), the kiosks (all, and one organisation), "Enrol a kiosk" (empty, refused
at a field, and with a new code's sheet), and an error page; each page's filters folded, then opened.

A manager before a meeting sees the figures first: at 360 px each page's filters fold away behind one summary
(what is set, how many), the first service point's card (its name and flag) lies within the first screen, and
the folded filters still filter, with JavaScript and without; on a wide screen they are simply there.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

from tests.board.browser import Server, Watched
from tests.board.test_browser import axe_serious
from tests.fixtures.fix_board import BAD

LANGUAGES = {"it": "it-IT", "en": "en-GB", "fr": "fr-FR", "de": "de-DE", "es": "es-ES"}
SMALL: ViewportSize = {"width": 360, "height": 740}
COMMON: ViewportSize = {"width": 390, "height": 844}
PAGES = (
    "/board",
    "/board?org=comune",
    f"/board/service-points/{BAD}",
    "/board/fleet",
    "/board/fleet?org=comune",
    "/board/enrolment?org=comune",
    "/board/service-points/nowhere",  # the error page
)
TARGET = 44
HEADER = ".sections a, .langs a, .sign-out button, #f-org"
MEASURE = r"""([header, target]) => {
  const width = window.innerWidth;
  const name = e => `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}` +
    (e.tagName === 'SELECT' ? '' : ` "${(e.innerText || e.value || '').trim().replace(/\s+/g, ' ').slice(0, 30)}"`);
  const shown = e => {
    if (e.checkVisibility && !e.checkVisibility()) return false;  // in a closed fold, say
    const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0 && r.bottom > 0;
  };
  const outside = [...document.querySelectorAll(header)].filter(shown).map(e => [e, e.getBoundingClientRect()])
    .filter(([e, r]) => r.left < 0 || r.right > width || r.top < 0).map(([e, r]) => `${name(e)} ${r.left}..${r.right}`);
  // A select shows its chosen option in its content box, less the arrow: the text must fit there.
  const canvas = document.createElement('canvas').getContext('2d');
  const cut = [...document.querySelectorAll('select')].filter(shown).filter(s => {
    const style = getComputedStyle(s);
    canvas.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    const text = s.selectedOptions.length ? s.selectedOptions[0].text : '';
    const room = s.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - 16;
    return canvas.measureText(text).width > room;
  }).map(s => `${name(s)} shows "${s.selectedOptions[0].text}" in ${s.clientWidth} px`);
  const aimed = 'a[href], button, select, input:not([type=hidden]):not([type=checkbox]), summary, label.check';
  const small = [...document.querySelectorAll(aimed)].filter(shown)
    .filter(e => !(e.tagName === 'A' && e.closest('p:not(.actions), .sub, .lede')))  // a link in a sentence
    .filter(e => !e.closest('.skip'))  // off screen until focused; measured below
    .map(e => [e, e.getBoundingClientRect()])
    .filter(([e, r]) => r.height < target - 0.5 || r.width < target - 0.5)
    .map(([e, r]) => `${name(e)} ${Math.round(r.width)}x${Math.round(r.height)}`);
  // A cell whose content is wider than it runs into its neighbour (a table shown as cards).
  const spill = [...document.querySelectorAll('tbody td, tbody th')].filter(shown)
    .filter(c => c.scrollWidth > c.clientWidth + 1)
    .map(c => `${name(c)} needs ${c.scrollWidth} px of ${c.clientWidth}`);
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth: width, outside, cut, small, spill};
}"""


def sign_in(page: Page, server: Server, token: str) -> None:
    page.goto(f"{server.url}/board/sign-in")
    page.locator("#key").fill(token)
    page.locator(".sign-in-form button[type=submit]").click()
    page.wait_for_url(f"{server.url}/board")
    page.wait_for_load_state("networkidle")  # the icon too: leaving earlier would abort its request


def fits(page: Page, where: str) -> list[str]:
    """What is wrong with the page as shown now, one line each."""
    page.wait_for_load_state("networkidle")
    found: dict[str, Any] = page.evaluate(MEASURE, [HEADER, TARGET])
    wrong = []
    if found["scrollWidth"] > found["innerWidth"]:
        wrong.append(f"{where}: {found['scrollWidth']} px wide on a {found['innerWidth']} px screen")
    wrong += [f"{where}: outside the screen: {e}" for e in found["outside"]]
    wrong += [f"{where}: cut off: {e}" for e in found["cut"]]
    wrong += [f"{where}: under {TARGET} px: {e}" for e in found["small"]]
    wrong += [f"{where}: runs into its neighbour: {e}" for e in found["spill"]]
    return wrong


def visit(page: Page, server: Server, admin: str, lang: str) -> list[str]:
    """Every page, in the states a manager meets, and what does not fit on each."""
    wrong = fits(page, "sign-in")
    sign_in(page, server, admin)
    for path in PAGES:
        page.goto(server.url + path)
        wrong += fits(page, path)
        if page.locator("details.fold").count():  # closed on a phone: opened, its filters are measured too
            expect(page.locator("details.fold form")).to_be_hidden()
            page.locator("details.fold summary").click()
            expect(page.locator("details.fold form")).to_be_visible()
            wrong += fits(page, f"{path}, filters open")
        if path == "/board":
            expect(page.locator("#f-org")).to_be_visible()
    page.locator(".skip").focus()  # it slides in (0.15 s)
    page.wait_for_function("() => document.querySelector('.skip').getBoundingClientRect().top >= 0")
    box = page.locator(".skip").bounding_box()
    if box is None or box["height"] < TARGET - 0.5:
        wrong.append(f"the skip link, focused: under {TARGET} px: {box}")

    page.goto(f"{server.url}/board/service-points/comune-anagrafe-{1 if lang == 'it' else 2}")
    if page.locator("#web-page button").count():
        page.locator("#web-page button").click()  # the web rating page: its links, and the poster's
        expect(page.locator("#web-page a.rating-link")).to_have_count(1)
    wrong += fits(page, "service point with a web rating page")

    page.goto(f"{server.url}/board/enrolment?org=comune")
    form = page.locator("#make form")
    form.locator("#f-service-point").select_option("comune-anagrafe-1")
    form.locator("input[name=service]").first.check()
    form.locator("#f-kiosk").select_option("comune-anagrafe-1-k1")  # a replacement keeps the kiosk's services
    form.locator("button[type=submit]").click()
    expect(page.locator("#e-services")).to_be_visible()
    wrong += fits(page, "enrolment, refused at a field")
    form.locator("input[name=service]").first.uncheck()
    form.locator("button[type=submit]").click()
    expect(page.locator("#new-code .code")).to_be_visible()
    wrong += fits(page, "enrolment, a new code's sheet")
    return wrong


@pytest.mark.parametrize(
    ("lang", "viewport"),
    [
        pytest.param(lang, v, id=f"{lang}-{v['width']}")
        for lang, v in [*[(x, SMALL) for x in LANGUAGES], ("it", COMMON)]
    ],
)
def test_every_page_fits_a_phone(
    browser: Browser, server: Server, admin: str, lang: str, viewport: ViewportSize
) -> None:
    context = browser.new_context(viewport=viewport, locale=LANGUAGES[lang], device_scale_factor=1)
    try:
        page = context.new_page()
        watched = Watched(page).attach()
        page.goto(f"{server.url}/board/sign-in")
        assert page.locator("html").get_attribute("lang") == lang
        wrong = visit(page, server, admin, lang)
        assert not wrong, "\n".join(wrong)
        expected = r"HTTP 404: .*/nowhere$|HTTP 422: .*/enrolment-codes$|console: .* status of (404|422) "
        problems = [p for p in watched.problems if not re.search(expected, p)]
        assert not problems, problems  # the error page answers 404 and the refused form 422, as they should
    finally:
        context.close()


def test_pages_at_360_px_are_accessible(browser: Browser, server: Server, admin: str) -> None:
    """axe-core on every page at 360 px, in Italian (the header and the forms are laid out anew there)."""
    context = browser.new_context(viewport=SMALL, locale="it-IT", device_scale_factor=1)
    try:
        page = context.new_page()
        page.goto(f"{server.url}/board/sign-in")
        found = {"sign-in": axe_serious(page)}
        sign_in(page, server, admin)
        for path in (*PAGES, "/board/service-points/comune-anagrafe-1"):
            page.goto(server.url + path)
            page.wait_for_load_state("networkidle")
            found[path] = axe_serious(page)
        page.goto(f"{server.url}/board/enrolment?org=comune")
        page.locator("#f-service-point").select_option("comune-anagrafe-1")
        page.evaluate("document.querySelector('#f-kiosk').add(new Option('asl-cup-1-k1', 'asl-cup-1-k1', true, true))")
        page.locator("#make button[type=submit]").click()
        expect(page.locator("#e-kiosk")).to_be_visible()
        found["enrolment, refused"] = axe_serious(page)
        for path in ("/board?org=comune", f"/board/service-points/{BAD}"):
            page.goto(server.url + path)
            page.locator("details.fold summary").click()
            expect(page.locator("details.fold form")).to_be_visible()
            found[f"{path}, filters open"] = axe_serious(page)
        assert not any(found.values()), {k: v for k, v in found.items() if v}
    finally:
        context.close()


FIRST = {
    "/board": "table.points tbody tr:first-child",
    "/board?org=comune": "table.points tbody tr:first-child",
    f"/board/service-points/{BAD}": ".headline",
    "/board/fleet?org=comune": ".tally",
    "/board/enrolment?org=comune": "#make",
}
"""What each page with filters is for, whose head must lie within the first screen of a phone."""


def on_first_screen(page: Page, selector: str, height: int) -> None:
    """The top of `selector` and its first words (a service point's name and flag) within the first screen."""
    page.evaluate("window.scrollTo(0, 0)")
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    assert box["y"] + min(box["height"], 80) <= height, f"{page.url}: {selector} starts at {box['y']:.0f} px"


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_on_a_phone_the_figures_come_first_and_the_folded_filters_still_filter(
    browser: Browser, server: Server, admin: str, javascript: bool
) -> None:
    context = browser.new_context(viewport=SMALL, locale="it-IT", device_scale_factor=1, java_script_enabled=javascript)
    try:
        page = context.new_page()
        watched = Watched(page).attach()
        sign_in(page, server, admin)
        fold = page.locator("details.fold")
        summary = fold.locator("summary")
        for path, selector in FIRST.items():
            page.goto(server.url + path)
            page.wait_for_load_state("networkidle")
            expect(fold).to_have_count(1)
            expect(fold.locator("form")).to_be_hidden()
            on_first_screen(page, selector, SMALL["height"])
        first = page.locator(FIRST["/board"])
        page.goto(f"{server.url}/board")
        expect(summary).to_have_text(re.compile(r"^\s*Filtri\s+Nessuno attivo\s*$"))
        expect(first.locator(".point-link")).to_have_text("Tributi, sportello 1")
        expect(first.locator(".flag")).to_have_text("Sotto obiettivo")
        on_first_screen(page, f"{FIRST['/board']} .flag", SMALL["height"])

        page.goto(f"{server.url}/board?org=comune&period=30d")
        expect(summary).to_contain_text("Attivi: 2")
        expect(summary).to_contain_text("Comune di Vallefiorita · Ultimi 30 giorni")
        summary.focus()  # the keyboard opens it as a finger does
        page.keyboard.press("Enter")
        expect(page.locator("#f-site")).to_be_visible()
        assert page.evaluate("document.activeElement.tagName") == "SUMMARY"
        page.locator("#f-site").select_option(label="Sede nord")
        fold.locator("button[type=submit]").click()
        expect(page).to_have_url(re.compile(r"[?&]site=comune-nord(&|$)"))
        expect(fold.locator("form")).to_be_hidden()  # the answer shows the result, not the filters again
        expect(summary).to_contain_text("Attivi: 3")
        expect(summary).to_contain_text("Comune di Vallefiorita · Sede nord · Ultimi 30 giorni")
        names = page.locator("table.points tbody .point-link").all_inner_texts()
        assert sorted(names) == ["Carta d'identità, sportello 1", "URP, sportello unico"], names
        on_first_screen(page, f"{FIRST['/board']} .point-link", SMALL["height"])  # three filters told: its name
        assert not watched.problems, watched.problems
    finally:
        context.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_on_a_wide_screen_the_filters_are_simply_there(
    browser: Browser, server: Server, admin: str, javascript: bool
) -> None:
    context = browser.new_context(
        viewport={"width": 1366, "height": 900}, locale="it-IT", java_script_enabled=javascript
    )
    try:
        page = context.new_page()
        sign_in(page, server, admin)
        for path in FIRST:
            page.goto(server.url + path)
            expect(page.locator("details.fold form")).to_be_visible()
            expect(page.locator("details.fold summary")).to_be_hidden()
        page.goto(f"{server.url}/board/service-points/{BAD}")
        page.locator("#f-period").select_option("7d")
        page.locator("details.fold button[type=submit]").click()
        expect(page).to_have_url(re.compile(r"[?&]period=7d(&|$)"))
        expect(page.locator("#f-period")).to_have_value("7d")
    finally:
        context.close()
