"""Issue 14's "done when", as a newcomer does it: start the README's demo, open the sign-in link it prints in a
browser, see the simulated counters with the deliberately bad one flagged first, and drill into it. The link
works once: opened again, it is dead."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import expect

from tests.board.browser import DESKTOP, launch
from tests.e2e.demo_process import running_demo


def test_the_newcomer_opens_the_printed_link_and_finds_the_bad_counter_first(tmp_path: Path) -> None:
    with running_demo(tmp_path, "--interval", "0.3") as demo:
        demo.wait_for("BELOW TARGET")
        text = demo.text()
        link = re.search(r"Board \.+ (http://\S+/board/sign-in\?link=\S+)", text)
        assert link is not None, text
        api_key = re.search(r"API key \.+ (mlf_\S+)", text)
        assert api_key is not None
        assert api_key.group(1) not in link.group(1)  # the link never carries the key
        browse(link.group(1), f"http://127.0.0.1:{demo.api}")
        assert demo.interrupt() == 0, demo.text()


def browse(link: str, api: str) -> None:
    for browser in launch():
        context = browser.new_context(viewport=DESKTOP, locale="it-IT")
        page = context.new_page()
        page.goto(link)
        expect(page).to_have_url(f"{api}/board")  # signed in, and the link gone from the address bar
        first = page.locator("table.points tbody tr").first
        expect(first.locator("th a")).to_have_text(re.compile("3"))
        expect(first).to_contain_text("Sotto obiettivo")
        first.locator("th a").click()
        expect(page).to_have_url(f"{api}/board/service-points/demo-sportello-3")
        expect(page.locator(".headline")).to_contain_text("Sotto obiettivo")
        expect(page.locator("svg.trend.wide")).to_be_visible()
        context.close()

        again = browser.new_context(viewport=DESKTOP, locale="it-IT").new_page()
        again.goto(link)
        expect(again.get_by_role("alert")).to_contain_text("già stato usato")
