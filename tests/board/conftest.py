"""The board's browser tests share these: the collector as deployed over the module's board world, Debian's
chromium, and an administrator key (each module gets its own, module-scoped)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from tests.board.browser import Server, launch, off_loop, start_server, stop_server
from tests.fixtures.fix_api import make_key


@pytest.fixture(scope="module")
def server(board_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    log = tmp_path_factory.mktemp("board-server") / "collector.log"
    running = start_server(board_db, log, COLLECTOR_BOARD_REFRESH_S="2")
    yield running
    stop_server(running)


@pytest.fixture(scope="module")
def browser(server: Server) -> Iterator[Browser]:
    """Started after the data and the server (Playwright's sync API then holds this thread's event loop)."""
    yield from launch()


@pytest.fixture(scope="module")
def admin(board_db: str) -> str:
    return off_loop(make_key, board_db, "admin", name="browser")
