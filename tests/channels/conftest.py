"""A collector API reachable over HTTP (a browser, a voice service, a poster's QR code need one) and Debian's
chromium driven by Playwright."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from playwright.sync_api import Browser, ViewportSize, sync_playwright

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
