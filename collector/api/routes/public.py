"""Public results, for anyone, no key: an organisation's monthly results as a page and as open data (CSV, JSON).

Only for an organisation that opted in; for any other the answer is 404, the same as for one that does not
exist, so an organisation's existence is not revealed. Months that have ended only; no individual rating;
cells with fewer ratings than the organisation's minimum are suppressed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from collector.api import scope
from collector.api.deps import PoolDep
from collector.api.problems import AUTH_RESPONSES, PROBLEM_RESPONSES, ProblemError
from collector.api.routes.registry import OrgId
from collector.api.routes.reports import MONTH_PATTERN
from collector.api.schemas import Body, WholeNumber
from collector.api.security import Admin, Reader
from collector.public import page
from collector.public.data import PublicRow, months_available, public_rows
from collector.reports import render
from collector.store import monthly
from collector.store import public as store

router = APIRouter(tags=["public results"])

MonthQuery = Annotated[
    str | None, Query(pattern=MONTH_PATTERN, description="Local month YYYY-MM. Default: the last month that has ended.")
]


class PublicSettingsBody(Body):
    enabled: bool = Field(description="Publish the monthly results on the public page and as open data.")
    min_count: WholeNumber = Field(
        default=store.DEFAULT_MIN_COUNT, ge=1, le=10_000, description="Cells with fewer ratings are not shown."
    )


class PublicRowOut(BaseModel):
    month: str = Field(examples=["2026-10"])
    service_point: str
    service_point_name: str
    site: str
    service: str = Field(description="'' for ratings that named no service.")
    service_name: str
    suppressed: bool = Field(description="Fewer ratings than the minimum: the numbers are left out (null).")
    ratings: int | None
    positive: int | None
    neutral: int | None
    negative: int | None
    green_share: float | None
    neutral_share: float | None
    red_share: float | None
    participation_rate: float | None = Field(description="null: unknown (no citizens served posted per service).")
    flag: str | None


class PublicResults(BaseModel):
    organisation: str
    name: str
    month: str
    min_count: int
    rows: list[PublicRowOut]


@router.put(
    "/v1/organisations/{org}/public-results",
    response_model=PublicSettingsBody,
    responses=AUTH_RESPONSES,
    summary="Opt in (or out) of public results, and the minimum count of a published cell",
)
async def put_settings(org: OrgId, body: PublicSettingsBody, principal: Admin, pool: PoolDep) -> PublicSettingsBody:
    async with pool.connection() as conn:
        await scope.organisation(conn, principal, org)
        await store.put(conn, org, store.PublicSettings(body.enabled, body.min_count))
    return body


@router.get(
    "/v1/organisations/{org}/public-results",
    response_model=PublicSettingsBody,
    responses=AUTH_RESPONSES,
    summary="Whether the organisation publishes its results, and its minimum count",
)
async def get_settings(org: OrgId, principal: Reader, pool: PoolDep) -> PublicSettingsBody:
    async with pool.connection() as conn:
        await scope.organisation(conn, principal, org)
        found = await store.settings(conn, org)
    return PublicSettingsBody(enabled=found.enabled, min_count=found.min_count)


def _not_found(org: str) -> ProblemError:
    return ProblemError(404, "not-found", "Not found", f"no public results of {org!r}")


async def _results(
    pool: Any, org: str, month: str | None
) -> tuple[dict[str, Any], date, list[PublicRow], list[date], int]:
    async with pool.connection() as conn:
        found = await store.published(conn, org)
        if found is None:
            raise _not_found(org)
        info, settings = found
        zone = ZoneInfo(info["timezone"])
        last = render.last_month(zone, datetime.now(UTC))
        try:
            wanted = render.parse_month(month) if month else last
            render.check_over(wanted, zone)
        except render.MonthError as exc:
            raise ProblemError(422, "month-not-over", "Month not over", str(exc)) from None
        rows = await public_rows(conn, org, info["timezone"], wanted, settings.min_count)
        months = months_available(await monthly.first_month(conn, org), last)
    return info, wanted, rows, months, settings.min_count


def _out(org: dict[str, Any], month: date, rows: list[PublicRow], min_count: int) -> PublicResults:
    return PublicResults(
        organisation=org["id"],
        name=org["name"],
        month=f"{month:%Y-%m}",
        min_count=min_count,
        rows=[PublicRowOut(**{**vars(r), "month": f"{r.month:%Y-%m}"}) for r in rows],
    )


@router.get(
    "/public/organisations/{org}/results",
    response_class=HTMLResponse,
    responses=PROBLEM_RESPONSES,
    summary="The public page of an organisation's monthly results (no key; 404 unless it opted in)",
)
async def public_page(org: OrgId, pool: PoolDep, month: MonthQuery = None, lang: render.Lang = "it") -> HTMLResponse:
    info, wanted, rows, months, min_count = await _results(pool, org, month)
    return HTMLResponse(page.render(info, wanted, rows, months, min_count, lang))


@router.get(
    "/public/organisations/{org}/results.json",
    response_model=PublicResults,
    responses=PROBLEM_RESPONSES,
    summary="Open data: a month's results per service point and service, as JSON (no key)",
)
async def public_json(org: OrgId, pool: PoolDep, month: MonthQuery = None) -> PublicResults:
    info, wanted, rows, _months, min_count = await _results(pool, org, month)
    return _out(info, wanted, rows, min_count)


@router.get(
    "/public/organisations/{org}/results.csv",
    response_class=Response,
    responses={**PROBLEM_RESPONSES, 200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
    summary="Open data: a month's results per service point and service, as CSV (no key)",
)
async def public_csv(org: OrgId, pool: PoolDep, month: MonthQuery = None) -> Response:
    info, wanted, rows, _months, _min = await _results(pool, org, month)
    name = f"results-{info['id']}-{wanted:%Y-%m}.csv"
    return Response(
        page.to_csv(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
