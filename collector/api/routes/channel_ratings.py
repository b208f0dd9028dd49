"""`POST /v1/organisations/{org}/channel-ratings`: ratings from systems that are not kiosks.

Websites, IVRs, apps, a backfill of paper forms: they name a service point, a face, a channel and an
idempotency key, nothing a kiosk has. One rating (an object) or a batch (an array, all or nothing: an
invalid item stops the batch with a problem per item, and nothing is stored). The source is the API key.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from collector.api import scope
from collector.api.deps import PoolDep, SettingsDep
from collector.api.problems import AUTH_RESPONSES, MEDIA_TYPE, PROBLEM_TYPE_BASE, ProblemError
from collector.api.routes.registry import OrgId
from collector.api.security import Ingest
from collector.channels import validate
from collector.channels.abuse import Hit
from collector.channels.intake import take
from collector.store import channel_ratings
from collector.store.channel_ratings import ChannelRow

router = APIRouter(prefix="/v1/organisations", tags=["ingest"])

MAX_BATCH = 1000


class ChannelOutcome(BaseModel):
    index: int | None = Field(description="Position in the batch; null for a single rating.")
    event_id: UUID = Field(description="The rating's id, derived from the idempotency key and the API key.")
    status: Literal["stored", "duplicate"] = Field(description="duplicate: stored before, nothing changed.")
    misuse: bool = Field(description="Over an abuse limit: kept, counted apart, out of every indicator.")


class ChannelBatchStored(BaseModel):
    received: int
    stored: int
    duplicates: int
    misuse: int
    items: list[ChannelOutcome]


def _problem_response(request: Request, body: dict[str, Any], headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        {**body, "instance": request.url.path}, status_code=body["status"], media_type=MEDIA_TYPE, headers=headers
    )


EXAMPLE = validate.ChannelRatingIn.model_config["json_schema_extra"]["examples"][0]  # type: ignore[index]


@router.post(
    "/{org}/channel-ratings",
    response_model=ChannelOutcome | ChannelBatchStored,
    status_code=201,
    responses={
        **AUTH_RESPONSES,
        200: {"description": "A rating stored before (duplicate), or a batch", "model": ChannelBatchStored},
    },
    summary="Send ratings of the web, phone, app or paper channel (one or a batch); idempotent by key",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "oneOf": [
                            validate.json_schema(),
                            {"type": "array", "minItems": 1, "maxItems": MAX_BATCH, "items": validate.json_schema()},
                        ]
                    },
                    "example": EXAMPLE,
                }
            },
        }
    },
)
async def post_channel_ratings(
    org: OrgId,
    principal: Ingest,
    request: Request,
    pool: PoolDep,
    settings: SettingsDep,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            pattern=validate.IDEMPOTENCY_KEY.pattern,
            description="The rating's idempotency key (for a batch: item i gets `<key>:<i>` unless it has its own).",
        ),
    ] = None,
) -> Any:
    scope.named_org(principal, org)
    try:
        body = json.loads(await request.body())
    except ValueError:
        raise ProblemError(422, "invalid-request", "Invalid request", "the body is not JSON") from None
    single = isinstance(body, dict)
    items: list[Any] = [body] if single else body if isinstance(body, list) else []
    if not single and not 1 <= len(items) <= MAX_BATCH:
        raise ProblemError(
            422, "invalid-request", "Invalid request", f"send one rating (an object) or 1 to {MAX_BATCH} (an array)"
        )
    source = f"key:{principal.key_id}"
    now = datetime.now(UTC)
    parsed = [validate.parse(item, None if single else i) for i, item in enumerate(items)]
    ratings = [p for p in parsed if isinstance(p, validate.ChannelRatingIn)]
    async with pool.connection() as conn:
        await scope.organisation(conn, principal, org)
        registry = await channel_ratings.org_registry(conn, org, sorted({r.service_point for r in ratings}))
        checked: list[ChannelRow | dict[str, Any]] = [
            p
            if isinstance(p, dict)
            else validate.check(
                p,
                None if single else i,
                org=org,
                source=source,
                registry=registry,
                bound_service_point=principal.service_point,
                header_key=idempotency_key,
                received_at=now,
            )
            for i, p in enumerate(parsed)
        ]
        problems = [c for c in checked if isinstance(c, dict)]
        if problems:
            return _refused(request, problems, single)
        rows = [c for c in checked if isinstance(c, ChannelRow)]
        hits = [Hit(None, f"{source}\x1f{p.client}" if p.client else None) for p in ratings]
        outcomes = await take(conn, org, source, rows, hits, settings, now)
    answers = [
        ChannelOutcome(
            index=None if single else i,
            event_id=o.event_id,
            status="stored" if o.stored else "duplicate",
            misuse=o.misuse,
        )
        for i, o in enumerate(outcomes)
    ]
    if single:
        return JSONResponse(answers[0].model_dump(mode="json"), status_code=201 if outcomes[0].stored else 200)
    stored = sum(o.stored for o in outcomes)
    batch = ChannelBatchStored(
        received=len(items),
        stored=stored,
        duplicates=len(items) - stored,
        misuse=sum(o.misuse for o in outcomes),
        items=answers,
    )
    return JSONResponse(batch.model_dump(mode="json"), status_code=200)


def _refused(request: Request, problems: list[dict[str, Any]], single: bool) -> JSONResponse:
    if single:
        return _problem_response(request, problems[0])
    status = 403 if any(p["status"] == 403 for p in problems) else 422
    kinds = sorted({p["type"].removeprefix(PROBLEM_TYPE_BASE) for p in problems})
    return _problem_response(
        request,
        {
            "type": PROBLEM_TYPE_BASE + "invalid-ratings",
            "title": "Some ratings cannot be taken; nothing was stored",
            "status": status,
            "detail": f"{len(problems)} of the batch's ratings refused ({', '.join(kinds)}); fix them and send the "
            "batch again (what was right stays idempotent)",
            "errors": problems,
        },
    )
