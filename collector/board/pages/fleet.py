"""The kiosks: online or not, last heard, what waits in their outboxes, holes in their sequences, clock skew,
what the API says of their identity, and what the collector refused (quarantine) by reason.

Its data is `GET /v1/kiosks` and `GET /v1/quarantine/reasons`, from the very functions those routes run.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from psycopg_pool import AsyncConnectionPool
from pydantic import BaseModel

from collector.api.deps import PoolDep
from collector.api.routes import kiosks as kiosks_api
from collector.api.routes import quarantine as quarantine_api
from collector.api.routes import registry as registry_api
from collector.api.security import Principal
from collector.board import render
from collector.board.filters import SlugFilter
from collector.board.session import BoardReader

router = APIRouter()
QUARANTINE_DAYS = 7


class FleetFilters(BaseModel):
    org: str | None
    site: str | None


class FleetPage(BaseModel):
    filters: FleetFilters
    organisations: list[registry_api.Organisation]
    sites: list[registry_api.Site]
    kiosks: list[kiosks_api.KioskStatus]
    """`GET /v1/kiosks`'s answer, in its order."""
    quarantine: quarantine_api.Quarantine
    """`GET /v1/quarantine/reasons?days=7`'s answer."""


async def fleet_data(user: Principal, pool: AsyncConnectionPool, filters: FleetFilters) -> FleetPage:
    organisations = await registry_api.list_organisations(principal=user, pool=pool)
    org = filters.org or (organisations[0].id if len(organisations) == 1 else None)
    sites = await registry_api.list_sites(org=org, principal=user, pool=pool) if org else []
    kiosks = await kiosks_api.fleet(principal=user, pool=pool, org=filters.org, site=filters.site)
    refused = await quarantine_api.reasons(principal=user, pool=pool, org=filters.org, days=QUARANTINE_DAYS)
    return FleetPage(
        filters=filters.model_copy(update={"org": org}),
        organisations=organisations,
        sites=sites,
        kiosks=kiosks,
        quarantine=refused,
    )


@router.get("/board/fleet", include_in_schema=False)
async def fleet_page(
    request: Request,
    user: BoardReader,
    pool: PoolDep,
    org: SlugFilter = None,
    site: SlugFilter = None,
    format: render.Format = "html",
) -> Response:
    data = await fleet_data(user, pool, FleetFilters(org=org, site=site))
    return render.page(request, "fleet.html", user, data, format, active="fleet")
