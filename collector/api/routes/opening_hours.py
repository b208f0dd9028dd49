"""Opening hours: a weekly pattern in local time and exceptions, for the organisation, a site or a service point."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal, Self
from zoneinfo import ZoneInfo

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, model_validator

from collector.api import scope
from collector.api.deps import PoolDep
from collector.api.params import FromDate, LocalDate, ToDate, ordered
from collector.api.problems import AUTH_RESPONSES, ProblemError
from collector.api.routes.registry import OrgId, handle
from collector.api.routes.service_points import SpId
from collector.api.schemas import Body, Timestamp
from collector.api.security import Admin, Reader
from collector.insight import schedule
from collector.insight.periods import midnight
from collector.store import opening_hours, registry
from protocol.messages import Slug

router = APIRouter(tags=["opening hours"])

INTERVAL = r"^([01][0-9]|2[0-3]):[0-5][0-9]-(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$"
Interval = Annotated[str, Field(pattern=INTERVAL, examples=["08:30-12:30"])]
Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
EXAMPLE: dict[str, Any] = {
    "site": "roma-anagrafe-centrale",
    "weekly": {"mon": ["08:30-12:30", "14:00-16:00"], "tue": ["08:30-12:30"], "wed": ["08:30-12:30"],
               "thu": ["08:30-12:30", "14:00-16:00"], "fri": ["08:30-12:30"]},
    "exceptions": [{"date": "2026-12-24", "hours": ["08:30-11:00"], "note": "Vigilia"},
                   {"date": "2026-12-25", "hours": [], "note": "Natale"}],
}  # fmt: skip


def _intervals(values: list[str]) -> tuple[schedule.Interval, ...]:
    return schedule.checked(i for v in values for i in schedule.parse_intervals(v))


class Exception_(Body):
    date: LocalDate = Field(strict=False)
    hours: list[Interval] = Field(max_length=8, description="Open intervals that day; empty: closed all day.")
    note: str = Field(default="", max_length=120, pattern=r"^[^\x00-\x1f\x7f]*$", examples=["Natale"])


class HoursIn(Body):
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={"examples": [EXAMPLE], "not": {"required": ["site", "service_point"]}},
    )

    site: Slug | None = Field(default=None, description="The site these hours are of.")
    service_point: Slug | None = Field(default=None, description="The service point these hours are of.")
    weekly: dict[Day, Annotated[list[Interval], Field(max_length=8)]] = Field(
        description="Local opening intervals per weekday (HH:MM-HH:MM, 24:00 for midnight); a day left out is "
        "closed. Empty: none set here (the site's, then the organisation's apply)."
    )
    exceptions: list[Exception_] = Field(default=[], max_length=1000, description="Holidays, closures, other hours.")

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.site is not None and self.service_point is not None:
            raise ValueError("give 'site' or 'service_point', not both (neither: the organisation's default)")
        return self

    def hours(self) -> opening_hours.Hours:
        """The hours as the store takes them; 422 `invalid-hours` for what no schema can say."""
        try:
            weekly = {schedule.WEEKDAYS.index(d) + 1: _intervals(v) for d, v in self.weekly.items() if v}
            exceptions = {e.date: (_intervals(e.hours), e.note) for e in self.exceptions}
        except ValueError as exc:
            raise ProblemError(422, "invalid-hours", "Invalid opening hours", str(exc)) from None
        if len(exceptions) != len(self.exceptions):
            raise ProblemError(422, "invalid-hours", "Invalid opening hours", "one exception per date")
        return opening_hours.Hours(weekly, exceptions)


class HoursOut(BaseModel):
    scope: Literal["organisation", "site", "service_point"]
    scope_id: str
    weekly: dict[str, list[str]]
    exceptions: list[dict[str, object]]


def _kind(body: HoursIn) -> tuple[opening_hours.Kind, str]:
    if body.site:
        return "site", body.site
    if body.service_point:
        return "service_point", body.service_point
    return "organisation", ""


def _out(kind: opening_hours.Kind, scope_id: str, hours: opening_hours.Hours) -> HoursOut:
    def text(intervals: tuple[schedule.Interval, ...]) -> list[str]:
        return [f"{schedule.clock(a)}-{schedule.clock(b)}" for a, b in intervals]

    return HoursOut(
        scope=kind,
        scope_id=scope_id,
        weekly={schedule.WEEKDAYS[d - 1]: text(v) for d, v in sorted(hours.weekly.items())},
        exceptions=[
            {"date": day.isoformat(), "hours": text(iv), "note": note}
            for day, (iv, note) in sorted(hours.exceptions.items())
        ],
    )


@router.put(
    "/v1/organisations/{org}/opening-hours",
    response_model=HoursOut,
    responses=AUTH_RESPONSES,
    summary="Set the opening hours of the organisation, a site or a service point (replaces them whole)",
    description="Local times; a DST day is handled when instants are computed. The most specific weekly "
    "pattern applies whole (service point, else site, else organisation); an exception replaces one day, "
    "the most specific exception of that day winning.",
)
async def put_hours(org: OrgId, body: HoursIn, principal: Admin, pool: PoolDep) -> HoursOut:
    kind, scope_id = _kind(body)
    hours = body.hours()
    async with pool.connection() as conn:
        await scope.organisation(conn, principal, org)
        try:
            await opening_hours.replace(conn, org, kind, scope_id, hours)
            return _out(kind, scope_id, await opening_hours.get(conn, org, kind, scope_id))
        except registry.RegistryError as exc:
            raise handle(exc) from None


@router.get(
    "/v1/organisations/{org}/opening-hours",
    response_model=list[HoursOut],
    responses=AUTH_RESPONSES,
    summary="Every opening hours set in the organisation (its default, its sites', its service points')",
)
async def list_hours(org: OrgId, principal: Reader, pool: PoolDep) -> list[HoursOut]:
    async with pool.connection() as conn:
        await scope.organisation(conn, principal, org)
        return [_out(k, i, await opening_hours.get(conn, org, k, i)) for k, i in await opening_hours.scopes(conn, org)]


class OpenPeriod(BaseModel):
    start: Timestamp
    end: Timestamp


class OpenOut(BaseModel):
    service_point: str
    timezone: str
    start: Timestamp
    end: Timestamp
    known: bool = Field(description="False when no opening hours apply to this service point.")
    open_minutes: float | None = Field(description="Minutes open within the period (real time); null: unknown.")
    periods: list[OpenPeriod] = Field(description="When it is open (local hours, as UTC instants).")


@router.get(
    "/v1/service-points/{sp_id}/opening-hours",
    response_model=OpenOut,
    responses=AUTH_RESPONSES,
    summary="When a service point is open over local days (the hours that apply to it, as instants)",
    description="Default: the current week, Monday to Sunday, local time. At most 366 days.",
)
async def open_periods(
    sp_id: SpId, principal: Reader, pool: PoolDep, start: FromDate = None, end: ToDate = None
) -> OpenOut:
    async with pool.connection() as conn:
        info = await scope.service_point(conn, principal, sp_id)
        zone = ZoneInfo(info.timezone)
        today = datetime.now(UTC).astimezone(zone).date()
        first = start or today - timedelta(days=today.weekday())
        last = end or first + timedelta(days=7)
        ordered(first, last)
        if (last - first).days > 366:
            raise ProblemError(422, "invalid-period", "Invalid period", "at most 366 days")
        a, b = midnight(first, zone), midnight(last, zone)
        found = (await opening_hours.open_periods(conn, [sp_id], a, b, scope=principal.scope)).get(sp_id)
    minutes = None if found is None else sum((y - x).total_seconds() for x, y in found) / 60
    periods = [OpenPeriod(start=x, end=y) for x, y in found or []]
    return OpenOut(service_point=sp_id, timezone=info.timezone, start=a, end=b, known=found is not None,
                   open_minutes=minutes, periods=periods)  # fmt: skip
