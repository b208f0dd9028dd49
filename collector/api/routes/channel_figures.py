"""`GET /v1/organisations/{org}/channels`: each channel's figures beside the others (counter, phone, web,
app, paper), over one period: counts, shares with their intervals, and the flag against the
organisation's default target, so "the web is judged worse than the counter" is read in one answer."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter
from pydantic import BaseModel, Field

from collector.api import scope
from collector.api.deps import PoolDep, SettingsDep
from collector.api.params import FromDate, SlugQuery, ToDate
from collector.api.privacy import readable_days
from collector.api.problems import AUTH_RESPONSES
from collector.api.routes.registry import OrgId
from collector.api.schemas import CHANNELS, ChannelRow, TargetOut, Timestamp
from collector.api.security import Reader
from collector.insight import flags
from collector.insight.periods import split
from collector.store import aggregates, registry, targets

router = APIRouter(prefix="/v1/organisations", tags=["overview"])


class ChannelFigures(BaseModel):
    organisation: str
    start: Timestamp
    end: Timestamp
    target: TargetOut = Field(description="The organisation's default target, which each channel is judged by.")
    channels: list[ChannelRow] = Field(description="Every channel, in a fixed order, with or without ratings.")


@router.get(
    "/{org}/channels",
    response_model=ChannelFigures,
    responses=AUTH_RESPONSES,
    summary="Each channel's figures beside the others' (counter, phone, web, app, paper)",
    description="Default period: the last 28 local days, today included. Filters: site, service point, service.",
)
async def channel_figures(
    org: OrgId,
    principal: Reader,
    pool: PoolDep,
    settings: SettingsDep,
    site: SlugQuery = None,
    service_point: SlugQuery = None,
    service: SlugQuery = None,
    start: FromDate = None,
    end: ToDate = None,
) -> ChannelFigures:
    now = datetime.now(UTC)
    async with pool.connection() as conn:
        info = await scope.organisation(conn, principal, org)
        zone = ZoneInfo(info["timezone"])
        a, b = readable_days(principal, settings.reader_resolution, start, end, zone, now)
        points = await registry.service_point_ids(conn, org, site=site, service_point=service_point)
        target = await targets.applying(conn, org, "", service)
        counts = [
            await aggregates.total_counts(conn, split(a, b, zone), aggregates.Filters(points, service, channel))
            for channel in CHANNELS
        ]
        judged = await flags.assess(conn, [c[:3] for c in counts], target)
    return ChannelFigures(
        organisation=org,
        start=a,
        end=b,
        target=TargetOut.of(target),
        channels=[ChannelRow.of(c, j, channel=channel) for channel, c, j in zip(CHANNELS, counts, judged, strict=True)],
    )
