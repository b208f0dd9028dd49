"""A channel rating as callers send it, and the one check of it every channel uses.

Pure: the registry facts come in (`OrgRegistry`), problems come out, so each rule is tested without a
database. A problem is an RFC 9457 object naming the item's real fault (`unknown-service-point`,
`reason-without-red-face`, `judged-at-in-the-future`, ...) with a JSON pointer to the field.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from collector.api.problems import PROBLEM_TYPE_BASE
from collector.ingest.messages import MAX_AGE, MAX_FUTURE
from collector.store.channel_ratings import ChannelRow, OrgRegistry
from protocol import Channel, Face
from protocol.messages import Slug

EVENT_NAMESPACE = uuid.UUID("5b0c4d2e-6f1a-4b7e-9a53-1c2d3e4f5a6b")
"""Event ids of channel ratings are UUIDv5 of (organisation, source, idempotency key) in this namespace."""

IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")
IdempotencyKey = Annotated[str, StringConstraints(pattern=IDEMPOTENCY_KEY.pattern)]
"""Printable ASCII without spaces, as the Idempotency-Key header allows; a UUID is a good one."""
ClientToken = Annotated[str, StringConstraints(pattern=r"^[^\x00-\x1f\x7f]{1,200}$")]


class ChannelRatingIn(BaseModel):
    """One judgment given through a channel that is not a kiosk."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [
                {
                    "service_point": "torino-sportello-1",
                    "face": "negative",
                    "reason": "waiting-time",
                    "channel": "phone",
                    "idempotency_key": "call-CA1234567890abcdef",
                }
            ]
        },
    )

    service_point: Slug = Field(description="The service point judged (registered in the organisation).")
    service: Slug | None = Field(default=None, description="The service the citizen used, if known.")
    face: Face = Field(description="positive (green), neutral (yellow) or negative (red).")
    reason: Slug | None = Field(default=None, description="A reason code of the organisation, only after negative.")
    channel: Channel = Field(description="Where the judgment was given: web, phone, app, paper (or counter).")
    judged_at: AwareDatetime | None = Field(
        default=None,
        description="When the citizen judged, RFC 3339 with an offset; default: when we receive it. At most 5 "
        "minutes ahead of us and 400 days old.",
    )
    idempotency_key: IdempotencyKey | None = Field(
        default=None,
        description="Unique per judgment for this API key (or given as the Idempotency-Key header): sending "
        "it again stores nothing new. Required, here or in the header.",
    )
    client: ClientToken | None = Field(
        default=None,
        description="Optional: the citizen's session or device in your system, for the per-client abuse limit. "
        "Hashed with a daily secret on arrival, never stored.",
    )

    @model_validator(mode="after")
    def _reason_only_after_red(self) -> Self:
        if self.reason is not None and self.face is not Face.NEGATIVE:
            raise ValueError("reason is only allowed with face 'negative'")
        return self


def problem(status: int, kind: str, title: str, detail: str, index: int | None, field: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {"type": PROBLEM_TYPE_BASE + kind, "title": title, "status": status, "detail": detail}
    if index is not None:
        out["index"] = index
    pointer = "".join(f"/{p}" for p in (index, field) if p is not None)
    if pointer:
        out["pointer"] = pointer
    return out


def _schema_problem(exc: ValidationError, index: int | None) -> dict[str, Any]:
    error = exc.errors()[0]
    field = str(error["loc"][0]) if error["loc"] else None
    if error["type"] == "missing":
        return problem(422, "missing-field", "A required field is missing", f"{field} is required", index, field)
    if error["type"] == "extra_forbidden":
        return problem(422, "unknown-field", "Unknown field", f"{field} is not a field of a rating", index, field)
    if field is None:  # the model's own rule
        message = str(error["msg"]).removeprefix("Value error, ")
        if "reason" in message:
            return problem(422, "reason-without-red-face", "Reason without a red face", message, index, "reason")
        return problem(422, "invalid-rating", "Invalid rating", message, index, None)
    kind = "invalid-" + field.replace("_", "-")
    return problem(422, kind, f"Invalid {field.replace('_', ' ')}", f"{field}: {error['msg']}", index, field)


@dataclass(frozen=True)
class Accepted:
    row: ChannelRow
    client: str | None


def parse(item: object, index: int | None) -> ChannelRatingIn | dict[str, Any]:
    """The item as a rating, or the problem with it."""
    if not isinstance(item, dict):
        return problem(422, "invalid-rating", "Invalid rating", "a rating is a JSON object", index, None)
    try:
        return ChannelRatingIn.model_validate_json(json.dumps(item))
    except ValidationError as exc:
        return _schema_problem(exc, index)


def check(
    rating: ChannelRatingIn,
    index: int | None,
    *,
    org: str,
    source: str,
    registry: OrgRegistry,
    bound_service_point: str | None,
    header_key: str | None,
    received_at: datetime,
) -> ChannelRow | dict[str, Any]:
    """The rating as a row to store, or the problem that stops it (nothing of it is stored then)."""
    sp = rating.service_point
    if bound_service_point is not None and sp != bound_service_point:
        return problem(
            403,
            "service-point-not-allowed",
            "Not allowed for this key",
            f"this key sends ratings of service point {bound_service_point!r} only, not {sp!r}",
            index,
            "service_point",
        )
    if sp not in registry.service_points:
        detail = f"organisation {org!r} has no service point {sp!r}"
        return problem(422, "unknown-service-point", "Unknown service point", detail, index, "service_point")
    if rating.service is not None and rating.service not in registry.services:
        detail = f"organisation {org!r} has no service {rating.service!r}"
        return problem(422, "unknown-service", "Unknown service", detail, index, "service")
    if rating.reason is not None and rating.reason not in registry.reasons:
        detail = f"{rating.reason!r} is not a reason of {org!r} (GET /v1/organisations/{org}/reasons lists them)"
        return problem(422, "unknown-reason", "Unknown reason", detail, index, "reason")
    at = rating.judged_at
    if at is not None and at > received_at + MAX_FUTURE:
        detail = f"judged_at {at.isoformat()} is in the future (now {received_at.isoformat()})"
        return problem(422, "judged-at-in-the-future", "Judgment time in the future", detail, index, "judged_at")
    if at is not None and at < received_at - MAX_AGE:
        detail = f"judged_at {at.isoformat()} is more than {MAX_AGE.days} days old"
        return problem(422, "judged-at-too-old", "Judgment time too old", detail, index, "judged_at")
    key = rating.idempotency_key or (header_key if index is None else f"{header_key}:{index}" if header_key else None)
    if key is None:
        detail = "give each rating an idempotency_key, or the request an Idempotency-Key header"
        return problem(422, "missing-idempotency-key", "Idempotency key missing", detail, index, "idempotency_key")
    return ChannelRow(
        event_id=event_id(org, source, key),
        service_point=sp,
        service=rating.service,
        channel=rating.channel.value,
        face=rating.face.value,
        reason=rating.reason,
        judged_at=at or received_at,
        stated=at is not None,
        misuse=False,
    )


def event_id(org: str, source: str, key: str) -> uuid.UUID:
    """The event id of a channel rating: the same key from the same source always names the same rating."""
    return uuid.uuid5(EVENT_NAMESPACE, f"{org}\x1f{source}\x1f{key}")


def json_schema() -> dict[str, Any]:
    """`ChannelRatingIn`'s JSON Schema with its enums inlined, for the OpenAPI document."""
    schema = ChannelRatingIn.model_json_schema()
    defs = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return inline(defs[node["$ref"].rsplit("/", 1)[1]])
            return {k: inline(v) for k, v in node.items()}
        if isinstance(node, list):
            return [inline(v) for v in node]
        return node

    result: dict[str, Any] = inline(schema)
    return result
