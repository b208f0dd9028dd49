"""Debian's chromium driven by Playwright (never a browser of Playwright's own), against the collector
running as deployed (`mlf-collector serve --role api`, its own process), and what a page did: console
errors, failed requests, responses with an error status."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from playwright.sync_api import Browser, ConsoleMessage, Page, Request, Response, ViewportSize, sync_playwright

from devstack.processes import free_port

T = TypeVar("T")
CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",  # tests run as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",  # the machine's network is closed: no calls home
    "--disable-component-update",
    "--disable-sync",
    # Date fields in the page's language (`<html lang>`: dd/mm/yyyy in Italian), as a manager's browser set to
    # that language shows them; without it, headless chromium shows every date field as mm/dd/yyyy.
    "--enable-blink-features=LangAttributeAwareFormControlUI",
]
DESKTOP: ViewportSize = {"width": 1366, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}


def off_loop(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run `function` in a thread of its own: Playwright's sync API keeps an event loop in this one, and
    helpers that use `asyncio.run` (making keys and links with the store's functions) need their own."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(function, *args, **kwargs).result()


def launch() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Watched:
    """What went wrong while a page was open."""

    page: Page
    problems: list[str] = field(default_factory=list)

    def attach(self) -> Watched:
        def console(message: ConsoleMessage) -> None:
            if message.type == "error":
                self.problems.append(f"console: {message.text}")

        def failed(request: Request) -> None:
            self.problems.append(f"request failed: {request.url} {request.failure}")

        def response(answer: Response) -> None:
            if answer.status >= 400:
                self.problems.append(f"HTTP {answer.status}: {answer.url}")

        self.page.on("console", console)
        self.page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))
        self.page.on("requestfailed", failed)
        self.page.on("response", response)
        return self


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log: Path


def start_server(database_url: str, log: Path, **env: str) -> Server:
    port = free_port()
    environ = {k: v for k, v in os.environ.items() if not k.startswith("COLLECTOR_")}
    environ.update(
        COLLECTOR_DATABASE_URL=database_url,
        COLLECTOR_HTTP_PORT=str(port),
        COLLECTOR_LOG_LEVEL="WARNING",
        COLLECTOR_AUTH_FAILURE_LIMIT="100000/minute",
        COLLECTOR_RATE_LIMIT="100000/minute",
        COLLECTOR_PUBLIC_URL=f"http://127.0.0.1:{port}",  # rating links and posters point at this server
        **env,
    )
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "collector.main", "serve", "--role", "api"],
            env=environ,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the collector stopped:\n{log.read_text(errors='replace')}")
        try:
            urllib.request.urlopen(f"{url}/healthz", timeout=2).close()  # noqa: S310 - loopback
            return Server(url, process, log)
        except (urllib.error.URLError, OSError):
            time.sleep(0.1)
    process.kill()
    raise TimeoutError("the collector did not answer /healthz")


def stop_server(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(15)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()
