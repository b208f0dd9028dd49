"""Exports as streamed CSV or NDJSON with cursor pagination: raw ratings (admin) and counts (readers)."""

from __future__ import annotations

import base64
import binascii
import csv
import io
import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from collector.api import scope
from collector.api.deps import PoolDep, SettingsDep
from collector.api.params import FromDate, ToDate, local_days
from collector.api.privacy import open_bucket_start
from collector.api.problems import AUTH_RESPONSES, ProblemError
from collector.api.security import Admin, Principal, Reader
from collector.insight.periods import days_period, local_date
from collector.store import exports, registry
from protocol.messages import SLUG_PATTERN

router = APIRouter(prefix="/v1/exports", tags=["exports"])

MEDIA = {"csv": "text/csv; charset=utf-8", "ndjson": "application/x-ndjson"}
Format = Annotated[
    Literal["csv", "ndjson"], Query(description="csv (with a header line) or ndjson (one JSON object a line).")
]
Limit = Annotated[int, Query(ge=1, le=100_000, description="Rows in this page.")]
Cursor = Annotated[str | None, Query(min_length=1, max_length=500, description="`next` cursor of the previous page.")]
OrgQuery = Annotated[str, Query(pattern=SLUG_PATTERN, description="Organisation.")]
SpQuery = Annotated[str | None, Query(pattern=SLUG_PATTERN, description="Only this service point.")]


def _stream_responses(columns: Sequence[str]) -> dict[int | str, dict[str, Any]]:
    example = ",".join(columns)
    return {
        200: {
            "description": 'Rows in key order. `Link: <...>; rel="next"` and `X-Next-Cursor` when more follow.',
            "content": {
                "text/csv": {"schema": {"type": "string"}, "example": example + "\n"},
                "application/x-ndjson": {"schema": {"type": "string"}},
            },
            "headers": {"X-Next-Cursor": {"description": "Cursor of the next page", "schema": {"type": "string"}}},
        },
        **AUTH_RESPONSES,
    }


def encode_cursor(key: list[Any]) -> str:
    values = [v.isoformat() if isinstance(v, datetime | date) else str(v) for v in key]
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def decode_cursor(token: str | None, size: int) -> list[Any] | None:
    if token is None:
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError):
        values = None
    if not isinstance(values, list) or len(values) != size or not all(isinstance(v, str) for v in values):
        raise ProblemError(422, "invalid-cursor", "Invalid cursor", "pass the cursor of a previous page unchanged")
    return values


def _text(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return value


async def _body(
    pool: PoolDep, q: exports.Query, cursor: list[Any] | None, upto: list[Any] | None, fmt: str, columns: Sequence[str]
) -> AsyncIterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if fmt == "csv":
        writer.writerow(columns)
    async with pool.connection() as conn:
        async for row in exports.stream(conn, q, cursor, upto):
            values = [_text(v) for v in row]
            if fmt == "csv":
                writer.writerow(["" if v is None else v for v in values])
            else:
                buffer.write(json.dumps(dict(zip(columns, values, strict=True)), separators=(",", ":")) + "\n")
            if buffer.tell() > 64_000:
                yield buffer.getvalue().encode()
                buffer.seek(0)
                buffer.truncate()
    yield buffer.getvalue().encode()


@dataclass(frozen=True)
class Page:
    """What both exports are asked: an organisation's local days, maybe one service point, one page."""

    org: str
    start: date | None
    end: date | None
    service_point: str | None
    format: Literal["csv", "ndjson"]
    limit: int
    cursor: str | None

    def days(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        return days_period(*local_days(self.start, self.end, zone, datetime.now(UTC)), zone)


def page(
    org: OrgQuery,
    start: FromDate = None,
    end: ToDate = None,
    service_point: SpQuery = None,
    format: Format = "ndjson",
    limit: Limit = 10_000,
    cursor: Cursor = None,
) -> Page:
    return Page(org, start, end, service_point, format, limit, cursor)


PageQuery = Annotated[Page, Depends(page)]


async def _respond(
    request: Request, pool: PoolDep, q: exports.Query, page: Page, columns: Sequence[str]
) -> StreamingResponse:
    cursor = decode_cursor(page.cursor, len(q.key))
    async with pool.connection() as conn:
        try:
            upto = await exports.next_key(conn, q, cursor, page.limit)
        except Exception as exc:  # a cursor that does not parse as the key's types
            if type(exc).__module__.startswith("psycopg"):
                raise ProblemError(
                    422, "invalid-cursor", "Invalid cursor", "pass the cursor of a previous page unchanged"
                ) from None
            raise
    headers = {}
    if upto is not None:
        nxt = encode_cursor(upto)
        params = {**request.query_params, "cursor": nxt}
        headers = {"X-Next-Cursor": nxt, "Link": f'<{request.url.path}?{urlencode(params)}>; rel="next"'}
    body = _body(pool, q, cursor, upto, page.format, columns)
    return StreamingResponse(body, media_type=MEDIA[page.format], headers=headers)


async def _zone(pool: PoolDep, principal: Principal, org: str) -> ZoneInfo:
    async with pool.connection() as conn:
        return ZoneInfo((await scope.organisation(conn, principal, org))["timezone"])


@router.get(
    "/ratings",
    responses=_stream_responses(exports.RAW_COLUMNS),
    response_class=StreamingResponse,
    summary="Raw ratings with their exact times (admin keys only), oldest first",
    description="Every stored rating, misuse-marked ones included (column `misuse`). No personal data exists.",
)
async def raw_ratings(request: Request, principal: Admin, pool: PoolDep, page: PageQuery) -> StreamingResponse:
    a, b = page.days(await _zone(pool, principal, page.org))
    q = exports.raw_query(page.org, a, b, page.service_point)
    return await _respond(request, pool, q, page, exports.RAW_COLUMNS)


@router.get(
    "/counts",
    responses=_stream_responses(exports.COUNT_COLUMNS),
    response_class=StreamingResponse,
    summary="Counts per hour (or per local day) per service point, service and channel",
    description="The reader-safe export: buckets of the reader resolution, complete ones only.",
)
async def counts(
    request: Request, principal: Reader, pool: PoolDep, settings: SettingsDep, page: PageQuery
) -> StreamingResponse:
    zone = await _zone(pool, principal, page.org)
    a, b = page.days(zone)
    grain: exports.Grain = "day" if settings.reader_resolution == "day" else "hour"
    if not principal.exact_times:
        b = max(a, min(b, open_bucket_start(datetime.now(UTC), zone, grain)))
    async with pool.connection() as conn:
        points = await registry.service_point_ids(conn, page.org, service_point=page.service_point)
    bounds: tuple[Any, Any] = (a, b) if grain == "hour" else (local_date(a, zone), local_date(b, zone))
    q = exports.counts_query(points, grain, *bounds, str(zone))
    return await _respond(request, pool, q, page, exports.COUNT_COLUMNS)
