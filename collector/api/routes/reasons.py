"""Reasons given after red faces, ranked, with the organisation's labels."""

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
from collector.api.schemas import ChannelName, Timestamp
from collector.api.security import Reader
from collector.insight.periods import split
from collector.store import aggregates, registry

router = APIRouter(prefix="/v1/organisations", tags=["indicators"])


class RankedReason(BaseModel):
    code: str
    labels: dict[str, str] = Field(
        description="Labels by language (it, en).", examples=[{"it": "Tempo di attesa", "en": "Waiting time"}]
    )
    count: int
    share_of_negative: float = Field(ge=0, le=1, description="Share of the counted red faces that gave it.")


class Ranking(BaseModel):
    organisation: str
    start: Timestamp
    end: Timestamp
    negative: int = Field(description="Red faces counted (misuse excluded).")
    without_reason: int = Field(description="Red faces with no reason given.")
    reasons: list[RankedReason] = Field(description="Most frequent first.")


@router.get(
    "/{org}/reasons/ranking",
    response_model=Ranking,
    responses=AUTH_RESPONSES,
    summary="Reasons after red faces, most frequent first",
    description="Default period: the last 28 local days, today included.",
)
async def ranking(
    org: OrgId,
    principal: Reader,
    pool: PoolDep,
    settings: SettingsDep,
    site: SlugQuery = None,
    service_point: SlugQuery = None,
    service: SlugQuery = None,
    channel: ChannelName | None = None,
    start: FromDate = None,
    end: ToDate = None,
) -> Ranking:
    now = datetime.now(UTC)
    async with pool.connection() as conn:
        info = await scope.organisation(conn, principal, org)
        zone = ZoneInfo(info["timezone"])
        a, b = readable_days(principal, settings.reader_resolution, start, end, zone, now)
        points = await registry.service_point_ids(conn, org, site=site, service_point=service_point)
        filters = aggregates.Filters(points, service, channel)
        negative = (await aggregates.total_counts(conn, split(a, b, zone), filters)).negative
        found = await aggregates.reasons(conn, split(a, b, zone, months=False, hours=False), filters)
        labels = {
            r["code"]: {"it": r["label_it"], "en": r["label_en"]}
            for r in await registry.reasons(conn, org, retired=True)
        }
    ranked = sorted(found.items(), key=lambda item: (-item[1], item[0]))
    return Ranking(
        organisation=org,
        start=a,
        end=b,
        negative=negative,
        without_reason=negative - sum(found.values()),
        reasons=[
            RankedReason(
                code=code,
                labels=labels.get(code, {"it": code, "en": code}),
                count=n,
                share_of_negative=n / negative if negative else 0.0,
            )
            for code, n in ranked
        ],
    )
