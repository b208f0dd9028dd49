"""`POST /v1/organisations/{org}/ratings`: a kiosk's ratings over HTTP, for kiosks that cannot use MQTT.

Phone systems, websites, apps and paper backfills use the channel ratings API instead
(`POST /v1/organisations/{org}/channel-ratings`, docs/channels.md): they have no kiosk id, sequence or boot.

The payloads are the protocol's `Rating`s and go through the very path MQTT messages take: the same
validation (`collector.ingest.messages`), the same idempotent write keyed by `event_id`, the same quarantine for
what is refused, the same ack watermark afterwards. Sending a batch twice stores it once. A key bound to a
service point may send that point's ratings only: a batch naming another is refused whole (403).
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import psycopg
from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from collector.api import scope
from collector.api.deps import IngestDep, SettingsDep
from collector.api.problems import AUTH_RESPONSES, ProblemError
from collector.api.routes.registry import OrgId
from collector.api.security import Ingest
from collector.ingest.messages import Inbound, classify_safely
from collector.store.isolation import store_isolating
from collector.store.writes import WriteOptions, WriteResult, write_batch, write_options
from protocol import Rating, TopicKind, build_topic
from protocol.messages import example

router = APIRouter(prefix="/v1/organisations", tags=["ingest"])

MAX_BATCH = 1000


class Stored(BaseModel):
    received: int
    stored: int = Field(description="New ratings stored now.")
    duplicates: int = Field(description="Already stored before (same event_id): nothing changed.")
    quarantined: dict[str, int] = Field(description="Refused, by reason; kept in quarantine for inspection.")


def _write(conninfo: str, messages: list[Inbound], options: WriteOptions) -> WriteResult:
    """One transaction, unless the database refuses some item: that one is isolated and quarantined."""
    total = WriteResult()
    with psycopg.connect(conninfo, connect_timeout=5) as conn:
        store_isolating(
            conn,
            [classify_safely(m) for m in messages],
            lambda c, batch: write_batch(c, batch, options),
            lambda _items, _batch, result: total.add(result),
        )
    return total


@router.post(
    "/{org}/ratings",
    response_model=Stored,
    responses=AUTH_RESPONSES,
    summary="Send a kiosk's ratings (protocol `Rating` objects) over HTTP, for kiosks that cannot use MQTT",
    description="For kiosks behind a network that lets only HTTPS out: their ratings keep the kiosk's sequences, "
    "gaps and clock correction. A phone system, a website, an app or a paper backfill sends "
    "`POST /v1/organisations/{org}/channel-ratings` instead (no kiosk id, sequence or boot to invent).",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "array",
                        "minItems": 1,
                        "maxItems": MAX_BATCH,
                        "items": {
                            "description": "A protocol `Rating` (JSON Schema: docs/schema/Rating.json). An item "
                            "that is not one is quarantined and counted under `quarantined`, not refused: the "
                            "batch's valid ratings are stored all the same."
                        },
                    },
                    "example": [example(Rating).model_dump(mode="json")],
                }
            },
        }
    },
)
async def post_ratings(
    org: OrgId,
    principal: Ingest,
    request: Request,
    settings: SettingsDep,
    ingest: IngestDep,
) -> Stored:
    scope.named_org(principal, org)
    try:
        items = json.loads(await request.body())
    except ValueError:
        raise ProblemError(422, "invalid-request", "Invalid request", "the body is not JSON") from None
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_BATCH:
        raise ProblemError(422, "invalid-request", "Invalid request", f"send a JSON array of 1 to {MAX_BATCH} ratings")
    if principal.service_point is not None:
        _only_its_service_point(principal.service_point, items)
    now = datetime.now(UTC)
    messages = []
    for item in items:
        kiosk = item.get("kiosk_id") if isinstance(item, dict) else None
        try:
            topic = build_topic(org, kiosk if isinstance(kiosk, str) else "", TopicKind.RATING)
        except ValueError:
            topic = f"http/{org}/rating"  # no valid kiosk id: quarantined as a bad topic, like over MQTT
        messages.append(Inbound(topic, json.dumps(item).encode(), now))
    result = await asyncio.to_thread(_write, settings.database_conninfo(), messages, write_options(settings))
    if ingest is not None:
        ingest.publish_watermarks(result)
    return Stored(
        received=len(items), stored=result.stored, duplicates=result.duplicates, quarantined=result.quarantined
    )


def _only_its_service_point(service_point: str, items: list[object]) -> None:
    """A key bound to a service point sends its ratings only: a batch naming another is refused whole."""
    others = {
        str(item.get("service_point"))
        for item in items
        if isinstance(item, dict) and item.get("service_point") != service_point
    }
    if others:
        named = ", ".join(repr(o) for o in sorted(others)[:5]) + (", ..." if len(others) > 5 else "")
        raise ProblemError(
            403,
            "forbidden",
            "Not allowed for this key",
            f"this key sends ratings of service point {service_point!r} only; the batch names {named}; nothing stored",
        )
