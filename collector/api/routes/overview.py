"""The overview of all service points, worst first."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from psycopg import AsyncConnection
from pydantic import BaseModel, ConfigDict, Field

from collector.api import scope
from collector.api.deps import PoolDep, SettingsDep
from collector.api.params import FromQuery, SlugQuery, ToQuery, invalid_period, ordered
from collector.api.privacy import clipper
from collector.api.problems import AUTH_RESPONSES
from collector.api.schemas import (
    CHANNELS,
    ChannelName,
    ChannelRow,
    Indicators,
    ParticipationOut,
    PeriodOut,
    TargetOut,
    Timestamp,
)
from collector.api.security import Reader
from collector.insight import flags, indicators, participation
from collector.store.reads import FaceCounts

router = APIRouter(prefix="/v1", tags=["indicators"])


EXAMPLE_ROW: dict[str, Any] = {
    "service_point": "demo-sportello-3",
    "name": "Sportello 3",
    "organisation": "demo",
    "organisation_name": "Comune di Demo",
    "site": "demo-sede-centrale",
    "site_name": "Sede centrale",
    "region": "Centro",
    "period": {"start": "2026-10-27T00:00:00+01:00", "end": "2026-11-23T10:00:00Z"},
    "total": 412,
    "misuse": 6,
    "counts": {"positive": 190, "neutral": 80, "negative": 142},
    "shares": {
        "positive": {"share": 0.4612, "low": 0.4137, "high": 0.5094},
        "neutral": {"share": 0.1942, "low": 0.1594, "high": 0.2343},
        "negative": {"share": 0.3447, "low": 0.3001, "high": 0.3920},
    },
    "flag": {"state": "below_target", "reasons": ["green_share_below_target", "red_share_above_limit"]},
    "participation": {"served": 2650, "rated": 398, "rate": 0.1502, "coverage": 0.966},
    "target": {
        "min_green_share": 0.75,
        "max_red_share": 0.1,
        "min_ratings": 30,
        "window_days": 28,
        "source": "default",
    },
}


class OverviewRow(Indicators):
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_ROW]})

    service_point: str
    name: str
    organisation: str
    organisation_name: str = Field(description="The organisation's name, for people (`organisation` is its id).")
    site: str | None
    site_name: str | None = Field(description="The site's name, for people (`site` is its id).")
    region: str | None
    period: PeriodOut
    target: TargetOut
    participation: ParticipationOut = Field(
        description="Ratings / citizens served over the periods posted within this one (rate null: unknown)."
    )
    channels: list[ChannelRow] = Field(
        default_factory=list,
        description="The same period per channel (counter, phone, web, app, paper; only those with ratings), "
        "each judged by this row's target.",
    )


class Overview(BaseModel):
    generated_at: Timestamp
    total_rows: int = Field(description="Service points matching the filters (before limit/offset).")
    rows: list[OverviewRow] = Field(description="Worst first: below target, on target, not enough data.")


def period_of(start: datetime | date | None, end: datetime | date | None) -> indicators.Period | None:
    if start is None and end is None:
        return None
    if start is None or end is None:
        raise invalid_period("give both 'from' and 'to', or neither")
    if type(start) is not type(end):
        raise invalid_period("'from' and 'to' must both be dates or both instants")
    ordered(start, end)
    return (start, end)


@router.get(
    "/overview",
    response_model=Overview,
    responses=AUTH_RESPONSES,
    summary="Every service point with its shares, intervals, volume and flag; worst first",
    description="Without `from`/`to`, each service point is judged over its target's evaluation window "
    "(the last N local days, today included). With them, over that period: give both, both dates or both "
    "instants, `to` after `from` (else 422 `invalid-period`). Reader keys see complete hours only.",
)
async def overview(
    principal: Reader,
    pool: PoolDep,
    settings: SettingsDep,
    org: SlugQuery = None,
    site: SlugQuery = None,
    service: SlugQuery = None,
    channel: ChannelName | None = None,
    start: FromQuery = None,
    end: ToQuery = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
) -> Overview:
    now = datetime.now(UTC)
    where = indicators.Scope(scope.org_filter(principal, org), site, service, channel)
    period = period_of(start, end)
    clip = clipper(principal, settings.reader_resolution, now)
    async with pool.connection() as conn:
        found = await indicators.overview(conn, where, period, now, clip, limit=limit, offset=offset)
        rates = await participation.of_points(
            conn, [(r.id, r.start, r.end, r.counts.total) for r in found.rows], service=service, channel=channel
        )
        by_channel = await channel_rows(conn, found.rows, where)
    rows = [row_out(r, rates[r.id], by_channel[r.id]) for r in found.rows]
    return Overview(generated_at=now, total_rows=found.total_rows, rows=rows)


async def channel_rows(
    conn: AsyncConnection[Any], rows: list[indicators.PointRow], where: indicators.Scope
) -> dict[str, list[ChannelRow]]:
    """Each row's channels in a fixed order, judged by the row's target (the one flag rule, one round trip)."""
    counts = await indicators.channels_of(conn, rows, where)
    cells: list[tuple[str, str, FaceCounts, indicators.PointRow]] = [
        (r.id, ch, counts[r.id][ch], r) for r in rows for ch in CHANNELS if ch in counts[r.id]
    ]
    judged = await flags.assess_each(conn, [c[:3] for _, _, c, _ in cells], [r.target for *_, r in cells])
    out: dict[str, list[ChannelRow]] = {r.id: [] for r in rows}
    for (sp, ch, c, _r), assessed in zip(cells, judged, strict=True):
        out[sp].append(ChannelRow.of(c, assessed, channel=ch))
    return out


def row_out(
    r: indicators.PointRow,
    part: participation.Participation = participation.UNKNOWN,
    channels: list[ChannelRow] | None = None,
) -> OverviewRow:
    return OverviewRow.of(
        r.counts,
        r.assessment,
        service_point=r.id,
        name=r.name,
        organisation=r.org,
        organisation_name=r.org_name,
        site=r.site,
        site_name=r.site_name,
        region=r.region,
        period=PeriodOut(start=r.start, end=r.end),
        target=TargetOut.of(r.target),
        participation=ParticipationOut.of(part),
        channels=channels or [],
    )
