"""Citizens served, posted by queue-ticket systems and offices: the denominator of the participation rate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Self
from zoneinfo import ZoneInfo

from fastapi import APIRouter
from fastapi import Body as BodyParam
from pydantic import BaseModel, ConfigDict, Field, model_validator

from collector.api import scope
from collector.api.deps import PoolDep
from collector.api.params import FromDate, LocalDate, SlugQuery, ToDate, WholeHour, local_days
from collector.api.problems import CONFLICT_RESPONSES, ProblemError
from collector.api.routes.registry import OrgId, handle
from collector.api.schemas import Body, Timestamp, WholeNumber
from collector.api.security import Reader, Served
from collector.insight.periods import HOUR, midnight
from collector.store import registry, served
from protocol.messages import Slug

router = APIRouter(prefix="/v1/organisations", tags=["citizens served"])
MAX_POSTS = 10_000


class ServedIn(Body):
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "oneOf": [
                {"required": ["day"], "properties": {"day": {"type": "string"}}},
                {"required": ["hour"], "properties": {"hour": {"type": "string"}}},
            ],
            "examples": [
                {"service_point": "roma-anagrafe-sportello-3", "day": "2026-10-05", "served": 84},
                {"service_point": "roma-anagrafe-sportello-3", "service": "carta-identita",
                 "hour": "2026-10-05T09:00:00+02:00", "served": 12},
            ]
        },
    )  # fmt: skip

    service_point: Slug
    service: Slug | None = Field(default=None, description="One service; null or absent: all the point's services.")
    day: LocalDate | None = Field(default=None, strict=False, description="A local day (give `day` or `hour`).")
    hour: WholeHour | None = Field(
        default=None, strict=False, description="The start of a whole hour, with an offset of whole hours."
    )
    served: WholeNumber = Field(ge=0, le=1_000_000, description="Citizens served in that period.")

    @model_validator(mode="after")
    def _one_period(self) -> Self:
        if (self.day is None) == (self.hour is None):
            raise ValueError("give either 'day' or 'hour'")
        return self


class Outcome(BaseModel):
    created: int = Field(description="Periods posted for the first time.")
    corrected: int = Field(description="Periods posted before with another number: the new one replaced it.")
    unchanged: int = Field(description="Periods posted again with the same number.")


class ServedOut(BaseModel):
    service_point: str
    service: str | None
    grain: str = Field(description="day or hour")
    start: Timestamp
    end: Timestamp
    served: int
    posted_at: Timestamp
    corrected_at: Timestamp | None = Field(description="When the number was last corrected; null: never.")
    corrections: int
    previous_served: int | None = Field(description="The number the last correction replaced.")


def to_post(item: ServedIn, zone: ZoneInfo, source: str) -> served.Post:
    if item.day is not None:
        start, end, day, grain = midnight(item.day, zone), midnight(item.day + timedelta(days=1), zone), item.day, "day"
    else:
        assert item.hour is not None
        start, end, grain = item.hour.astimezone(UTC), item.hour.astimezone(UTC) + HOUR, "hour"
        day = item.hour.astimezone(zone).date()
    return served.Post(item.service_point, item.service or "", grain, start, end, day, item.served, source)


def check_started(posts: list[served.Post], now: datetime) -> None:
    for p in posts:
        if p.start > now:
            raise ProblemError(
                422, "future-period", "Period not started", f"{p.source}: {p.start.isoformat()} is in the future"
            )


@router.post(
    "/{org}/citizens-served",
    response_model=Outcome,
    responses=CONFLICT_RESPONSES,
    summary="Post citizens served per service point (and service), per local day or hour",
    description="Idempotent by (service point, service, day or hour): posting a period again replaces its "
    "number (a correction; its time and the number replaced are kept). The batch is stored whole or not at "
    "all: an unknown service point (404) or service (422), a period not started yet (422), or periods that "
    "overlap another post of the same service point, for the same service or for all services (409: citizens "
    "would be counted twice), refuse it all, naming the item.",
)
async def post_served(
    org: OrgId,
    principal: Served,
    pool: PoolDep,
    body: Annotated[list[ServedIn], BodyParam(max_length=MAX_POSTS)],
) -> Outcome:
    async with pool.connection() as conn:
        info = await scope.organisation(conn, principal, org)
        posts = [to_post(item, ZoneInfo(info["timezone"]), f"item {i}") for i, item in enumerate(body, start=1)]
        check_started(posts, datetime.now(UTC))
        try:
            done = await served.post(conn, org, posts, scope=principal.scope)
        except registry.RegistryError as exc:
            raise handle(exc) from None
    return Outcome(created=done.created, corrected=done.corrected, unchanged=done.unchanged)


@router.get(
    "/{org}/citizens-served",
    response_model=list[ServedOut],
    responses=CONFLICT_RESPONSES,
    summary="Citizens served as posted, with their corrections",
    description="Default period: the last 28 local days, today included.",
)
async def list_served(
    org: OrgId,
    principal: Reader,
    pool: PoolDep,
    start: FromDate = None,
    end: ToDate = None,
    service_point: SlugQuery = None,
) -> list[ServedOut]:
    async with pool.connection() as conn:
        info = await scope.organisation(conn, principal, org)
        first, last = local_days(start, end, ZoneInfo(info["timezone"]), datetime.now(UTC))
        found = await served.listing(conn, org, first, last, service_point)
    return [ServedOut(**{**r, "start": r.pop("period_start"), "end": r.pop("period_end")}) for r in found]
