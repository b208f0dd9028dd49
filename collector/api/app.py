"""The FastAPI application. Nothing is built at import: `create_app(settings)` does it all."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import psycopg
from fastapi import FastAPI
from psycopg_pool import AsyncConnectionPool

from collector.api import problems
from collector.api.routes import health, metrics, service_points
from collector.config import CollectorSettings
from collector.pipeline import IngestPipeline
from collector.store.migrate import migrate

log = logging.getLogger(__name__)

VERSION = "0.1.0"
DESCRIPTION = """
Ratings from "Mettiamoci la faccia" kiosks (green, yellow and red faces at public service counters),
for managers and integrators. Kiosks publish over MQTT (see `docs/mqtt.md`); this API reads what the
collector stored. Times are UTC instants; days, weeks and months are the organisation's local time.
"""


def apply_migrations(conninfo: str) -> list[str]:
    with psycopg.connect(conninfo, connect_timeout=10) as conn:
        return migrate(conn)


def create_app(settings: CollectorSettings, *, ingest: bool = True) -> FastAPI:
    """The app; `ingest=False` serves the API without subscribing to the broker."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        conninfo = settings.database_conninfo()
        applied = await asyncio.to_thread(apply_migrations, conninfo)
        if applied:
            log.info("database schema migrated: %s", ", ".join(applied))
        pool = AsyncConnectionPool(conninfo, min_size=1, max_size=10, open=False, kwargs={"connect_timeout": 5})
        await pool.open(wait=True, timeout=15)
        pipeline = IngestPipeline(settings) if ingest else None
        app.state.pool, app.state.settings, app.state.ingest = pool, settings, pipeline
        try:
            if pipeline is not None:
                await asyncio.to_thread(pipeline.start)
            yield
        finally:
            if pipeline is not None:
                await asyncio.to_thread(pipeline.stop)
            await pool.close()

    app = FastAPI(
        title="Mettiamoci la faccia: collector API",
        version=VERSION,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    problems.install(app)
    app.include_router(health.router)
    app.include_router(service_points.router)
    app.include_router(metrics.router)
    return app
