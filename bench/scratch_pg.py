"""A PostgreSQL of a bench's own, under var/, removed at the end (what the report and alert benches stand on)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from devstack.postgres import LocalPostgres
from devstack.processes import free_port

ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def scratch_server(name: str, settings: dict[str, str] | None = None) -> Iterator[LocalPostgres]:
    """A fresh server in var/<name> (not durable: a bench, not data), running, with these settings."""
    folder = ROOT / "var" / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    try:
        server = LocalPostgres(folder / "pg", free_port(), durable=False, settings=settings or {})
        server.init()
        server.start()
        try:
            yield server
        finally:
            server.stop("immediate")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def scratch_database(name: str) -> Iterator[str]:
    """A fresh server in var/<name> and the DSN of its database "bench"."""
    with scratch_server(name) as server:
        yield server.create_database("bench")
