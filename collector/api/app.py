"""The FastAPI application. Nothing is built at import: `create_app(settings)` does it all."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from fastapi import FastAPI
from fastapi_offline import FastAPIOffline
from psycopg_pool import AsyncConnectionPool

from collector import board
from collector.alerts.evaluate import evaluate
from collector.alerts.evaluation_thread import Evaluate
from collector.alerts.service import Alerting
from collector.api import problems
from collector.api.auth_failures import AuthFailures
from collector.api.ingest_port import IngestPort, ProcessRole
from collector.api.routes import (
    actions,
    alerts,
    channel_figures,
    channel_ratings,
    enrolment,
    exports,
    health,
    keys,
    kiosks,
    metrics,
    opening_hours,
    overview,
    phone,
    public,
    quarantine,
    rating_links,
    rating_page,
    ratings_in,
    reasons,
    registry,
    reports,
    served,
    service_points,
    targets,
)
from collector.api.security import RateLimits
from collector.config import CollectorSettings
from collector.provisioning.reconciler import Reconciler
from collector.store.migrate import migrate

log = logging.getLogger(__name__)

VERSION = "0.1.0"
DESCRIPTION = """
Ratings from "Mettiamoci la faccia" kiosks (green, yellow and red faces at public service counters),
for managers and integrators. Kiosks publish over MQTT (see `docs/mqtt.md`); this API reads what the
collector stored. Times are UTC instants; days, weeks and months are the organisation's local time.

**Access.** Every endpoint but `/healthz` and the public results (`/public/...`, only of organisations that
opted in) needs an API key: `Authorization: Bearer mlf_<id>_<secret>`.
Roles: `admin` (registry, targets, keys, raw ratings with exact times), `reader` (aggregates only:
nothing finer than the reader resolution, one hour by default, and no bucket still open), `ingest`
(may only send ratings), `served` (may only post citizens served). Missing or bad key: 401 with
`WWW-Authenticate`; valid key, wrong role: 403; too many requests: 429 with `Retry-After`. Errors are
RFC 9457 `application/problem+json`.

**Flags.** A service point is `below_target` only when the 95% Wilson interval of its green share
lies wholly under the target (or that of its red share wholly over the limit) with at least the
minimum number of ratings; otherwise `on_target` or `not_enough_data`. Misuse is excluded and counted.
"""


def apply_migrations(conninfo: str) -> list[str]:
    with psycopg.connect(conninfo, connect_timeout=10) as conn:
        return migrate(conn)


OPERATORS = (health, metrics)
"""The routers every role serves: probes and Prometheus."""
API = (
    overview,
    service_points,
    reasons,
    kiosks,
    enrolment,
    quarantine,
    exports,
    registry,
    targets,
    keys,
    ratings_in,
    reports,
    served,
    opening_hours,
    public,
    alerts,
    actions,
    channel_ratings,
    rating_links,
    rating_page,
    phone,
    channel_figures,
)


def create_app(
    settings: CollectorSettings,
    ingest: IngestPort | None = None,
    *,
    role: ProcessRole = "all",
    alert_cycle: Evaluate = evaluate,
) -> FastAPI:
    """The app. With `ingest` (the pipeline, `role` all or ingest) it starts and stops it; `role` ingest
    serves only `/healthz` and `/metrics`. Kiosk provisioning runs in every role; kiosk configs are
    published where the pipeline's MQTT connection is. Alerts are evaluated (`alert_cycle`, on a thread of
    their own) and delivered where ingest runs (`all`, `ingest`; `collector.alerts.service`)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        conninfo = settings.database_conninfo()
        applied = await asyncio.to_thread(apply_migrations, conninfo)
        if applied:
            log.info("database schema migrated: %s", ", ".join(applied))
        connection: dict[str, Any] = {"connect_timeout": 5, "prepare_threshold": None}
        pool = AsyncConnectionPool(conninfo, min_size=1, max_size=10, open=False, kwargs=connection)
        await pool.open(wait=True, timeout=15)
        app.state.pool, app.state.settings, app.state.ingest = pool, settings, ingest
        app.state.rate_limits = RateLimits(settings.rate_limit)  # per process: see collector/api/security.py
        app.state.auth_failures = AuthFailures(settings.auth_failure_limit)  # in the database, for all processes
        task: asyncio.Task[None] | None = None

        async def connect() -> psycopg.AsyncConnection[Any]:  # the alert evaluation's own, on its own loop
            return await psycopg.AsyncConnection.connect(conninfo, **connection)

        app.state.alerting = alerting = Alerting(settings, pool, connect, evaluate=alert_cycle)
        if role != "api":
            alerting.start()
        try:
            if ingest is not None:
                await asyncio.to_thread(ingest.start)
            app.state.reconciler = Reconciler(settings, ingest.publish_config if ingest is not None else None)
            task = asyncio.create_task(app.state.reconciler.run(), name="kiosk-provisioning")
            yield
        finally:
            if task is not None:
                task.cancel()
            await alerting.stop()
            if ingest is not None:
                await asyncio.to_thread(ingest.stop)
            await pool.close()

    # The docs pages' scripts and styles come from a package, not a CDN: they work on an offline network.
    app = FastAPIOffline(
        swagger_ui_parameters={"validatorUrl": None},  # Swagger UI would ask validator.swagger.io otherwise
        title="Mettiamoci la faccia: collector API",
        version=VERSION,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    problems.install(app)
    for module in OPERATORS if role == "ingest" else OPERATORS + API:
        app.include_router(module.router)
    if role != "ingest":
        board.install(app)  # the managers' pages under /board, on the API's own functions
    return app
