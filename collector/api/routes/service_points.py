"""Per service point reads: summary, time series, hour x weekday matrix, reasons ranked."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from collector.api import scope
from collector.api.deps import PoolDep, SettingsDep
from collector.api.params import DateOrInstant, FromDate, ToDate, local_days, ordered
from collector.api.privacy import clipper
from collector.api.problems import AUTH_RESPONSES, ProblemError
from collector.api.schemas import ChannelName, Counts, Indicators, ParticipationOut, TargetOut, Timestamp
from collector.api.security import Principal, Reader
from collector.insight import flags, participation
from collector.insight.indicators import bounds
from collector.insight.periods import HOUR, days_period, local_date, midnight, next_month, split, week_start
from collector.store import aggregates, reads, targets
from protocol.messages import SLUG_PATTERN

router = APIRouter(prefix="/v1/service-points", tags=["service points"])

SpId = Annotated[
    str, Path(pattern=SLUG_PATTERN, description="Service point id.", examples=["roma-anagrafe-sportello-3"])
]
ServiceQuery = Annotated[str | None, Query(pattern=SLUG_PATTERN, description="Only ratings of this service.")]
MAX_BUCKETS = 2500


class Summary(Indicators):
    service_point: str
    organisation: str
    service: str | None = Field(description="The service the counts are of; null: all services.")
    channel: ChannelName | None = Field(default=None, description="The channel the counts are of; null: all.")
    timezone: str = Field(description="The organisation's local time zone; dates are local days in it.")
    start: Timestamp = Field(description="Start of the period (inclusive).")
    end: Timestamp = Field(description="End of the period (exclusive).")
    target: TargetOut = Field(description="The target the flag judges the period by (the overview's rule).")
    participation: ParticipationOut = Field(
        description="Ratings / citizens served over the periods posted within this one (rate null: unknown)."
    )


def _instant(value: DateOrInstant, zone: ZoneInfo) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.combine(value, time(), zone)


@router.get(
    "/{sp_id}/summary",
    response_model=Summary,
    responses=AUTH_RESPONSES,
    summary="Counts per face of one service point over a period, with shares, intervals and flag",
    description="The flag judges the period by the target that applies (the service point's own, else the "
    "service's when `service` is given, else the organisation's default, else the built-in one).",
)
async def summary(
    sp_id: SpId,
    pool: PoolDep,
    principal: Reader,
    settings: SettingsDep,
    start: Annotated[
        DateOrInstant | None,
        Query(
            alias="from",
            description="Start: a local date (YYYY-MM-DD) or an instant with offset. Default: as the overview, "
            "the start of the target's window (the last N local days, today included).",
        ),
    ] = None,
    end: Annotated[
        DateOrInstant | None,
        Query(
            alias="to",
            description="End, exclusive, after `from` (else 422 `invalid-period`): a local date (its start) or "
            "an instant. Default: now.",
        ),
    ] = None,
    service: ServiceQuery = None,
    channel: Annotated[ChannelName | None, Query(description="Only ratings of this channel.")] = None,
) -> Summary:
    now = datetime.now(UTC)
    async with pool.connection() as conn:
        info = await scope.service_point(conn, principal, sp_id)
        zone = ZoneInfo(info.timezone)
        target = await targets.applying(conn, info.org_id, sp_id, service)
        window_start, window_end = bounds(None, target.window_days, zone, now)  # the overview's period
        begin = _instant(start, zone) if start is not None else window_start
        finish = _instant(end, zone) if end is not None else window_end
        ordered(begin, finish)
        if clip := clipper(principal, settings.reader_resolution, now):
            begin, finish = clip(begin, finish, zone)
        filters = aggregates.Filters([sp_id], service, channel)
        counts = await aggregates.total_counts(conn, split(begin, finish, zone), filters)
        (judged,) = await flags.assess(conn, [counts[:3]], target)
        rates = await participation.of_points(
            conn, [(sp_id, begin, finish, counts.total)], service=service, channel=channel
        )
    return Summary.of(
        counts,
        judged,
        service_point=info.id,
        organisation=info.org_id,
        service=service,
        channel=channel,
        timezone=info.timezone,
        start=begin,
        end=finish,
        target=TargetOut.of(target),
        participation=ParticipationOut.of(rates[sp_id]),
    )


class Bucket(Indicators):
    start: Timestamp
    end: Timestamp


class Series(BaseModel):
    service_point: str
    timezone: str
    grain: Literal["hour", "day", "week", "month"]
    buckets: list[Bucket] = Field(description="Every bucket of the period in order, empty ones included.")


def _bucket_edges(grain: str, first: date, last: date, zone: ZoneInfo) -> list[tuple[object, datetime, datetime]]:
    """(key, start, end) of every bucket; weeks and months are cut to the period."""
    if grain == "hour":
        a, b = days_period(first, last, zone)
        a = a.astimezone(UTC)
        return [(a + i * HOUR, a + i * HOUR, a + (i + 1) * HOUR) for i in range(int((b - a) / HOUR))]
    edges: list[tuple[object, datetime, datetime]] = []
    cursor = {"day": first, "week": week_start(first), "month": first.replace(day=1)}[grain]
    while cursor < last:
        nxt = next_month(cursor) if grain == "month" else cursor + timedelta(days=7 if grain == "week" else 1)
        edges.append((cursor, midnight(max(cursor, first), zone), midnight(min(nxt, last), zone)))
        cursor = nxt
    return edges


@router.get(
    "/{sp_id}/series",
    response_model=Series,
    responses=AUTH_RESPONSES,
    summary="Time series by hour, local day, ISO week or month",
    description="Default period: the last 28 local days, today included. Reader keys see complete hours "
    "(hour grain) or complete days (other grains) only.",
)
async def series(
    sp_id: SpId,
    pool: PoolDep,
    principal: Reader,
    settings: SettingsDep,
    grain: Literal["hour", "day", "week", "month"] = "day",
    start: FromDate = None,
    end: ToDate = None,
    service: ServiceQuery = None,
    channel: ChannelName | None = None,
) -> Series:
    now = datetime.now(UTC)
    async with pool.connection() as conn:
        info = await scope.service_point(conn, principal, sp_id)
        zone = ZoneInfo(info.timezone)
        first, last = local_days(start, end, zone, now)
        edges = _bucket_edges(grain, first, last, zone)
        if len(edges) > MAX_BUCKETS:
            raise ProblemError(
                422, "too-many-buckets", "Period too long", f"{len(edges)} buckets; at most {MAX_BUCKETS}"
            )
        limit = _reader_limit(principal, settings.reader_resolution, grain, now, zone)
        filters = aggregates.Filters([sp_id], service, channel)
        found = dict(await aggregates.series(conn, filters, grain, first, last, days_period(first, last, zone)))
        target = await targets.applying(conn, info.org_id, sp_id, service)
        shown = [(key, a, b) for key, a, b in edges if limit is None or b <= limit]
        zero = reads.FaceCounts(0, 0, 0, 0)
        counts = [found.get(key, zero) for key, _a, _b in shown]  # type: ignore[call-overload]
        judged = await flags.assess(conn, [c[:3] for c in counts], target)
    buckets = [
        Bucket.of(c, assessed, start=a, end=b) for (_key, a, b), c, assessed in zip(shown, counts, judged, strict=True)
    ]
    return Series(service_point=sp_id, timezone=info.timezone, grain=grain, buckets=buckets)


def _reader_limit(principal: Principal, resolution: str, grain: str, now: datetime, zone: ZoneInfo) -> datetime | None:
    """Buckets ending after this are not shown to the key (None: no limit)."""
    if principal.exact_times:
        return None
    if grain == "hour":
        if resolution != "hour":
            raise ProblemError(403, "resolution", "Finer than this key may see", "reader keys see whole days only")
        return now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return midnight(local_date(now, zone), zone)


class Cell(BaseModel):
    weekday: int = Field(ge=1, le=7, description="ISO weekday: 1 Monday ... 7 Sunday.")
    hour: int = Field(ge=0, le=23, description="Local hour of the day.")
    total: int
    counts: Counts
    green_share: float | None = Field(description="Share of green faces; null without ratings.")


class Matrix(BaseModel):
    service_point: str
    timezone: str
    start: Timestamp
    end: Timestamp
    cells: list[Cell] = Field(description="7 x 24 cells, Monday 00 first.")


@router.get(
    "/{sp_id}/hour-weekday",
    response_model=Matrix,
    responses=AUTH_RESPONSES,
    summary="Counts by local hour of the day and weekday (when are citizens least satisfied?)",
)
async def hour_weekday(
    sp_id: SpId,
    pool: PoolDep,
    principal: Reader,
    settings: SettingsDep,
    start: FromDate = None,
    end: ToDate = None,
) -> Matrix:
    now = datetime.now(UTC)
    async with pool.connection() as conn:
        info = await scope.service_point(conn, principal, sp_id)
        zone = ZoneInfo(info.timezone)
        first, last = local_days(start, end, zone, now)
        a, b = days_period(first, last, zone)
        limit = _reader_limit(principal, settings.reader_resolution, "hour", now, zone)
        if limit is not None:
            b = max(a, min(b, limit))
        found = {
            (d, h): c
            for d, h, c in await aggregates.hour_weekday(conn, aggregates.Filters([sp_id]), (a, b), info.timezone)
        }
    cells = []
    for d in range(1, 8):
        for h in range(24):
            c = found.get((d, h), reads.FaceCounts(0, 0, 0, 0))
            share = c.positive / c.total if c.total else None
            cells.append(Cell(weekday=d, hour=h, total=c.total, counts=Counts.of(c), green_share=share))
    return Matrix(service_point=sp_id, timezone=info.timezone, start=a, end=b, cells=cells)
