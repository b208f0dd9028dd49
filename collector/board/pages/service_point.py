"""One service point: its flag over the period, the green share's trend with the target and the 95% band,
faces over time, an hour x weekday heat map, reasons after red faces ranked, and its kiosks.

Each part is the answer of an API route, from the very function that route runs, with the reader's key:
`/v1/service-points/{id}/summary`, `.../series`, `.../hour-weekday`, `/v1/organisations/{org}/reasons/ranking`
(filtered to the service point), `/v1/kiosks` (filtered to it), `/v1/organisations/{org}/channels` (filtered to
it: each channel beside the others) and `/v1/organisations/{org}/rating-links` (its web rating page's links).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from psycopg_pool import AsyncConnectionPool
from pydantic import BaseModel

from collector.api.deps import PoolDep, SettingsDep
from collector.api.problems import ProblemError
from collector.api.routes import channel_figures as channels_api
from collector.api.routes import kiosks as kiosks_api
from collector.api.routes import rating_links as links_api
from collector.api.routes import reasons as reasons_api
from collector.api.routes import registry as registry_api
from collector.api.routes import service_points as sp_api
from collector.api.security import Principal
from collector.board import render
from collector.board.filters import FromDay, Preset, PresetQuery, UntilDay, dates, today
from collector.board.session import BoardReader
from collector.config import CollectorSettings
from protocol.messages import SLUG_PATTERN

router = APIRouter()


class Period(BaseModel):
    period: Preset
    start: date
    """First local day."""
    end: date
    """Day after the last (exclusive), as the API takes it."""
    last: date
    """The last day (included), as people say it."""
    grain: Literal["day", "week", "month"]


class ServicePointPage(BaseModel):
    service_point: registry_api.ServicePoint
    organisation: registry_api.Organisation
    site: registry_api.Site | None
    period: Period
    summary: sp_api.Summary
    series: sp_api.Series
    hour_weekday: sp_api.Matrix
    reasons: reasons_api.Ranking
    kiosks: list[kiosks_api.KioskStatus]
    channels: channels_api.ChannelFigures
    rating_links: list[links_api.LinkOut]
    """Its web rating page's active links (one for the service point, others for one service each)."""


def grain_of(days: int) -> Literal["day", "week", "month"]:
    return "day" if days <= 62 else "week" if days <= 731 else "month"


async def service_point_data(
    user: Principal,
    pool: AsyncConnectionPool,
    settings: CollectorSettings,
    sp_id: str,
    preset: Preset,
    start: date | None,
    until: date | None,
) -> ServicePointPage:
    # The default summary names the organisation (and answers 404 for a service point this key may not see).
    first = await sp_api.summary(sp_id=sp_id, pool=pool, principal=user, settings=settings)
    org = first.organisation
    (organisation,) = [o for o in await registry_api.list_organisations(principal=user, pool=pool) if o.id == org]
    points = await registry_api.list_service_points(org=org, principal=user, pool=pool)
    point = next(p for p in points if p.id == sp_id)
    sites = await registry_api.list_sites(org=org, principal=user, pool=pool) if point.site else []
    site = next((s for s in sites if s.id == point.site), None)
    chosen = dates(preset, start, until, organisation.timezone)
    if chosen is None:  # its target's window: the last N local days, today included
        end = today(organisation.timezone) + timedelta(days=1)
        chosen = (end - timedelta(days=first.target.window_days), end)
    a, b = chosen
    grain = grain_of((b - a).days)
    try:
        summary = await sp_api.summary(sp_id=sp_id, pool=pool, principal=user, settings=settings, start=a, end=b)
        series = await sp_api.series(
            sp_id=sp_id, pool=pool, principal=user, settings=settings, grain=grain, start=a, end=b
        )
        matrix = await sp_api.hour_weekday(sp_id=sp_id, pool=pool, principal=user, settings=settings, start=a, end=b)
        ranking = await reasons_api.ranking(
            org=org, principal=user, pool=pool, settings=settings, service_point=sp_id, start=a, end=b
        )
        channels = await channels_api.channel_figures(
            org=org, principal=user, pool=pool, settings=settings, service_point=sp_id, start=a, end=b
        )
    except ProblemError as exc:
        if exc.kind != "too-many-buckets":
            raise
        raise ProblemError(422, "invalid-period", "Period too long", exc.detail) from None
    kiosks = await kiosks_api.fleet(principal=user, pool=pool, service_point=sp_id)
    links = await links_api.list_links(org=org, principal=user, pool=pool, settings=settings)
    return ServicePointPage(
        service_point=point,
        organisation=organisation,
        site=site,
        period=Period(period=preset, start=a, end=b, last=b - timedelta(days=1), grain=grain),
        summary=summary,
        series=series,
        hour_weekday=matrix,
        reasons=ranking,
        kiosks=kiosks,
        channels=channels,
        rating_links=sorted((k for k in links if k.service_point == sp_id), key=lambda k: (k.service or "", k.id)),
    )


@router.get("/board/service-points/{sp_id}", include_in_schema=False)
async def service_point_page(
    request: Request,
    user: BoardReader,
    pool: PoolDep,
    settings: SettingsDep,
    sp_id: str = Path(pattern=SLUG_PATTERN),
    period: PresetQuery = "window",
    start: FromDay = None,
    until: UntilDay = None,
    format: render.Format = "html",
) -> Response:
    data = await service_point_data(user, pool, settings, sp_id, period, start, until)
    return render.page(request, "service_point.html", user, data, format, active="overview")
