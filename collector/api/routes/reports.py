"""The monthly report of an organisation, as JSON, XLSX, PDF or HTML: one data function, four renderings."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from collector.api import scope
from collector.api.deps import PoolDep
from collector.api.problems import AUTH_RESPONSES, ProblemError
from collector.api.routes.registry import OrgId
from collector.api.schemas import Indicators, ParticipationOut, TargetOut, Timestamp
from collector.api.security import Reader
from collector.reports import render
from collector.reports.data import monthly_report
from collector.reports.model import Compared, MonthlyReport, Row

router = APIRouter(prefix="/v1/organisations", tags=["reports"])

MONTH_PATTERN = r"^(19[7-9][0-9]|2[0-9]{3})-(0[1-9]|1[0-2])$"
BINARY = {"schema": {"type": "string", "format": "binary"}}


class ComparedOut(BaseModel):
    total: int
    green_share: float | None
    red_share: float | None

    @classmethod
    def of(cls, c: Compared) -> ComparedOut:
        return cls(total=c.total, green_share=c.green_share, red_share=c.red_share)


class ReportRow(Indicators):
    key: str = Field(description="Id of the site, service, channel or service point ('' where there is none).")
    name: str
    site: str | None = Field(default=None, description="Service points: the name of their site.")
    target: TargetOut
    participation: ParticipationOut
    previous: ComparedOut = Field(description="The same view in the month before.")
    year_ago: ComparedOut = Field(description="The same view in the same month a year earlier.")
    green_change: float | None = Field(description="Green share minus last month's (0.05: 5 points up).")
    green_change_year: float | None = Field(description="Green share minus the same month's a year earlier.")
    reasons: dict[str, int] = Field(description="Reasons after red faces: code -> count (misuse excluded).")
    open_hours: float | None = Field(default=None, description="Service points: hours open by their opening hours.")


class ReasonOut(BaseModel):
    code: str
    labels: dict[str, str]
    count: int
    share_of_negative: float
    previous: int = Field(description="Count in the month before.")


class ActionOut(BaseModel):
    service_point: str | None
    service: str | None
    day: date
    role: str
    description: str
    verdict: str | None = Field(description="improved, worse, no_clear_change, not_enough_data (as of the report).")
    green_before: float | None = Field(description="Green share in the window before (null: no ratings).")
    green_after: float | None
    red_before: float | None
    red_after: float | None
    green_change: tuple[float, float, float] | None = Field(
        description="After minus before, with its 95% interval [difference, low, high] (Newcombe's method)."
    )
    red_change: tuple[float, float, float] | None
    expected_effect: str


class MonthlyReportOut(BaseModel):
    organisation: str
    name: str
    timezone: str
    month: str = Field(examples=["2026-10"])
    start: Timestamp
    end: Timestamp
    generated_at: Timestamp
    overall: ReportRow
    sites: list[ReportRow]
    services: list[ReportRow]
    channels: list[ReportRow]
    service_points: list[ReportRow] = Field(description="Worst first.")
    below_target: list[str] = Field(description="Service points below target, worst first.")
    reasons: list[ReasonOut] = Field(description="Reasons after red faces, most frequent first.")
    without_reason: int
    actions: list[ActionOut] = Field(description="Improvement actions recorded during the month.")


def _row(r: Row) -> ReportRow:
    return ReportRow.of(
        r.counts,
        r.assessment,
        key=r.key,
        name=r.name,
        site=r.site,
        target=TargetOut.of(r.target),
        participation=ParticipationOut.of(r.participation),
        previous=ComparedOut.of(r.previous),
        year_ago=ComparedOut.of(r.year_ago),
        green_change=r.green_change,
        green_change_year=r.green_change_year,
        reasons=r.reasons,
        open_hours=r.open_hours,
    )


def as_json(report: MonthlyReport) -> MonthlyReportOut:
    return MonthlyReportOut(
        organisation=report.organisation,
        name=report.organisation_name,
        timezone=report.timezone,
        month=f"{report.month:%Y-%m}",
        start=report.start,
        end=report.end,
        generated_at=report.generated_at,
        overall=_row(report.overall),
        sites=[_row(r) for r in report.levels["site"]],
        services=[_row(r) for r in report.levels["service"]],
        channels=[_row(r) for r in report.levels["channel"]],
        service_points=[_row(r) for r in report.levels["service_point"]],
        below_target=[r.key for r in report.below_target],
        reasons=[ReasonOut(**vars_of(r)) for r in report.reasons],
        without_reason=report.without_reason,
        actions=[ActionOut(**vars_of(a)) for a in report.actions],
    )


def vars_of(item: object) -> dict[str, object]:
    return {name: getattr(item, name) for name in item.__slots__}  # type: ignore[attr-defined]


@router.get(
    "/{org}/reports/monthly",
    response_model=MonthlyReportOut,
    responses={
        **AUTH_RESPONSES,
        200: {
            "description": "The report in the format asked for.",
            "content": {render.MEDIA_TYPES[f]: BINARY for f in ("xlsx", "pdf", "html")},
        },
    },
    summary="The monthly report: per organisation, site, service, channel and service point",
    description="Counts per face and shares with 95% intervals, reasons after red, citizens served and the "
    "participation rate, the change from the month before and from the same month a year earlier, the service "
    "points below target and why, and the improvement actions recorded. Months are local; a month must have "
    "ended (else 422 `month-not-over`). `format`: json (default), xlsx (one sheet per level), pdf (A4, to "
    "print), html. `lang`: the language of the document (Italian by default).",
)
async def monthly(
    org: OrgId,
    principal: Reader,
    pool: PoolDep,
    month: Annotated[
        str | None,
        Query(pattern=MONTH_PATTERN, description="Local month YYYY-MM. Default: the last month that has ended."),
    ] = None,
    format: render.Format = "json",
    lang: Annotated[render.Lang, Query(description="Language of the document.")] = "it",
) -> MonthlyReportOut | Response:
    now = datetime.now(UTC)
    async with pool.connection() as conn:
        info = await scope.organisation(conn, principal, org)
        zone = ZoneInfo(info["timezone"])
        try:
            first = render.parse_month(month) if month else render.last_month(zone, now)
            render.check_over(first, zone, now)
        except render.MonthError as exc:
            raise ProblemError(422, "month-not-over", "Month not over", str(exc)) from None
        report = await monthly_report(conn, org, first, scope=principal.scope, now=now)
    if format == "json":
        return as_json(report)
    body = await asyncio.to_thread(render.render, report, format, lang)
    disposition = "inline" if format == "html" else "attachment"
    return Response(
        body,
        media_type=render.MEDIA_TYPES[format],
        headers={"Content-Disposition": f'{disposition}; filename="{render.file_name(report, format, lang)}"'},
    )
