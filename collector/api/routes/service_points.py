"""Per service point reads."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Query
from pydantic import AwareDatetime, BaseModel, Field

from collector.api.deps import PoolDep
from collector.api.problems import PROBLEM_RESPONSES, ProblemError
from collector.store import reads
from protocol.messages import SLUG_PATTERN

router = APIRouter(prefix="/v1/service-points", tags=["service points"])

SpId = Annotated[
    str, Path(pattern=SLUG_PATTERN, description="Service point id.", examples=["roma-anagrafe-sportello-3"])
]
Instant = AwareDatetime | date


class Counts(BaseModel):
    positive: int
    neutral: int
    negative: int


class Summary(BaseModel):
    service_point: str
    organisation: str
    timezone: str = Field(description="The organisation's local time zone; dates are local days in it.")
    start: datetime = Field(description="Start of the period (inclusive).")
    end: datetime = Field(description="End of the period (exclusive).")
    total: int = Field(description="Ratings counted (misuse excluded).")
    counts: Counts
    misuse: int = Field(description="Ratings marked as misuse (bursts), kept but not counted.")


def _instant(value: Instant, zone: ZoneInfo) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.combine(value, time(), zone)


@router.get(
    "/{sp_id}/summary",
    response_model=Summary,
    responses=PROBLEM_RESPONSES,
    summary="Counts per face of one service point over a period",
)
async def summary(
    sp_id: SpId,
    pool: PoolDep,
    start: Annotated[
        Instant | None,
        Query(
            alias="from",
            description="Start: a local date (YYYY-MM-DD) or an instant with offset. "
            "Default: start of today, local time.",
        ),
    ] = None,
    end: Annotated[
        Instant | None,
        Query(alias="to", description="End, exclusive: a local date (its start) or an instant. Default: now."),
    ] = None,
) -> Summary:
    async with pool.connection() as conn:
        info = await reads.service_point(conn, sp_id)
        if info is None:
            raise ProblemError(404, "not-found", "Service point not found", f"no service point {sp_id!r}")
        zone = ZoneInfo(info.timezone)
        now = datetime.now(zone)
        begin = _instant(start, zone) if start is not None else datetime.combine(now.date(), time(), zone)
        finish = _instant(end, zone) if end is not None else now + timedelta(microseconds=1)
        if finish <= begin:
            raise ProblemError(422, "invalid-period", "Invalid period", "'to' must be after 'from'")
        counts = await reads.face_counts(conn, sp_id, begin, finish)
    return Summary(
        service_point=info.id,
        organisation=info.org_id,
        timezone=info.timezone,
        start=begin,
        end=finish,
        total=counts.total,
        counts=Counts(positive=counts.positive, neutral=counts.neutral, negative=counts.negative),
        misuse=counts.misuse,
    )
