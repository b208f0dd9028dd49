"""The collector's sessions run with PostgreSQL's JIT off (`COLLECTOR_DATABASE_JIT`, bench/jit_off.py says why),
without losing what the DSN or PGOPTIONS ask for, and with the server's setting when told to."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg.conninfo import make_conninfo

from collector.api.app import create_app
from tests.fixtures.fix_api import api_settings


def show(conninfo: str, *settings: str) -> list[str]:
    with psycopg.connect(conninfo) as conn:
        return [str((conn.execute(f"SHOW {name}".encode()).fetchone() or ("",))[0]) for name in settings]


def test_the_collectors_sessions_run_without_jit(database_url: str) -> None:
    assert show(database_url, "jit") == ["on"]  # the server's default: what Grafana's role and psql get
    assert show(api_settings(database_url).database_conninfo(), "jit") == ["off"]
    assert show(api_settings(database_url, database_jit="server").database_conninfo(), "jit") == ["on"]


def test_the_api_and_boards_pool_runs_without_jit(database_url: str) -> None:
    app = create_app(api_settings(database_url))

    async def pooled() -> Any:
        async with app.state.pool.connection() as conn:
            return (await (await conn.execute("SHOW jit")).fetchone() or ("",))[0]

    with TestClient(app) as client:
        assert client.portal is not None  # set while the client runs the app
        assert client.portal.call(pooled) == "off"


def test_options_of_the_dsn_and_pgoptions_are_kept(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    given = make_conninfo(database_url, options="-c work_mem=7MB")
    assert show(api_settings(given).database_conninfo(), "jit", "work_mem") == ["off", "7MB"]
    on_purpose = make_conninfo(database_url, options="-c jit=on")  # a later -c wins: the DSN's word is last
    assert show(api_settings(on_purpose).database_conninfo(), "jit") == ["on"]
    monkeypatch.setenv("PGOPTIONS", "-c work_mem=9MB")
    assert show(api_settings(database_url).database_conninfo(), "jit", "work_mem") == ["off", "9MB"]
