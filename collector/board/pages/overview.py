"""The overview: every service point worst first, with its faces, shares and intervals, volume, misuse, flag
and why, and its target; filters for organisation, site, service, channel and period.

Its data is `GET /v1/overview`'s answer, from the very function that route runs, called with the reader's key.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from psycopg_pool import AsyncConnectionPool
from pydantic import BaseModel

from collector.api.deps import PoolDep, SettingsDep
from collector.api.routes import overview as overview_api
from collector.api.routes import registry as registry_api
from collector.api.schemas import ChannelName
from collector.api.security import Principal
from collector.board import render
from collector.board.filters import ChannelFilter, FromDay, Preset, PresetQuery, SlugFilter, UntilDay, dates
from collector.board.session import BoardReader
from collector.config import CollectorSettings

router = APIRouter()
PAGE_SIZE = 100


class OverviewFilters(BaseModel):
    org: str | None
    site: str | None
    service: str | None
    channel: ChannelName | None
    period: Preset
    start: date | None
    """First day (custom period)."""
    until: date | None
    """Last day, included (custom period)."""
    page: int


class OverviewPage(BaseModel):
    filters: OverviewFilters
    organisations: list[registry_api.Organisation]
    sites: list[registry_api.Site]
    services: list[registry_api.Service]
    overview: overview_api.Overview
    """`GET /v1/overview`'s answer for these filters (`from`/`to` from the period, 100 rows a page)."""
    page_size: int


async def overview_data(
    user: Principal, pool: AsyncConnectionPool, settings: CollectorSettings, filters: OverviewFilters
) -> OverviewPage:
    organisations = await registry_api.list_organisations(principal=user, pool=pool)
    org = filters.org or (organisations[0].id if len(organisations) == 1 else None)
    sites: list[registry_api.Site] = []
    services: list[registry_api.Service] = []
    if org is not None:
        sites = await registry_api.list_sites(org=org, principal=user, pool=pool)
        services = await registry_api.list_services(org=org, principal=user, pool=pool)
    zone = next((o.timezone for o in organisations if o.id == org), settings.timezone)
    period = dates(filters.period, filters.start, filters.until, zone)
    found = await overview_api.overview(
        principal=user,
        pool=pool,
        settings=settings,
        org=filters.org,
        site=filters.site,
        service=filters.service,
        channel=filters.channel,
        start=period[0] if period else None,
        end=period[1] if period else None,
        limit=PAGE_SIZE,
        offset=(filters.page - 1) * PAGE_SIZE,
    )
    return OverviewPage(
        filters=filters.model_copy(update={"org": org}),
        organisations=organisations,
        sites=sites,
        services=services,
        overview=found,
        page_size=PAGE_SIZE,
    )


@router.get("/board", include_in_schema=False)
async def overview_page(
    request: Request,
    user: BoardReader,
    pool: PoolDep,
    settings: SettingsDep,
    org: SlugFilter = None,
    site: SlugFilter = None,
    service: SlugFilter = None,
    channel: ChannelFilter = None,
    period: PresetQuery = "window",
    start: FromDay = None,
    until: UntilDay = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    format: render.Format = "html",
) -> Response:
    filters = OverviewFilters(
        org=org, site=site, service=service, channel=channel, period=period, start=start, until=until, page=page
    )
    data = await overview_data(user, pool, settings, filters)
    return render.page(request, "overview.html", user, data, format, active="overview")
