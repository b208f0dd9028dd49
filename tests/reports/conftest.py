"""One organisation with a month of simulated history, shared by the report tests of a module (they only read)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from collector.api.app import create_app
from devstack.postgres import LocalPostgres
from tests.fixtures.fix_api import Api, api_settings, make_key
from tests.fixtures.fix_postgres import TEMPLATE
from tests.reports.history import History, simulate


@pytest.fixture(scope="module")
def month_api(pg_server: LocalPostgres, request: pytest.FixtureRequest) -> Iterator[tuple[Api, History]]:
    database_url = pg_server.create_database(f"report_{request.module.__name__.rsplit('.', 1)[-1]}", template=TEMPLATE)
    with TestClient(create_app(api_settings(database_url))) as client:
        api = Api(client, database_url, make_key(database_url, "admin"), make_key(database_url, "reader"))
        yield api, simulate(api)
