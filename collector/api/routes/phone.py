"""The phone channel: webhooks of a programmable-voice service (TwiML), and the phone lines behind them.

`POST /phone/{line}/voice` answers a call; `.../voice/face` and `.../voice/reason` take the digits the
caller pressed. Each request must carry the voice service's signature (`collector.channels.voice`);
a call is one rating whatever the service retries (its event id comes from the `CallSid`).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, Field, StringConstraints

from collector.api import scope
from collector.api.deps import PoolDep, SettingsDep
from collector.api.problems import AUTH_RESPONSES, PROBLEM_RESPONSES, ProblemError
from collector.api.routes.registry import OrgId
from collector.api.schemas import Body
from collector.api.security import Admin, Reader
from collector.channels import page, voice
from collector.channels.abuse import Hit
from collector.channels.intake import take
from collector.channels.urls import voice_url
from collector.channels.validate import event_id
from collector.store import channel_links, channel_ratings
from collector.store.channel_ratings import ChannelRow
from collector.store.registry import RegistryError
from protocol.messages import Slug

router = APIRouter(tags=["phone"])

LineId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{20,64}$", description="The phone line's id.")]
Lang = Annotated[str, Query(pattern=r"^(it|en)$", description="Language of the call")]
TWIML = "application/xml"
MAX_FORM = 8192
CALL_SID = r"^[A-Za-z0-9]{10,64}$"
FORM: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": ["CallSid"],
                    "properties": {
                        "CallSid": {"type": "string", "pattern": CALL_SID},
                        "Digits": {"type": "string", "pattern": "^[0-9*#]{0,8}$"},
                        "From": {"type": "string", "description": "The caller: hashed for the abuse limit, never kept"},
                    },
                }
            }
        },
    }
}
RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "TwiML", "content": {TWIML: {}}},
    403: PROBLEM_RESPONSES[422] | {"description": "Not signed by the voice service"},
    **PROBLEM_RESPONSES,
}


def _twiml(body: str) -> Response:
    return Response(body, media_type=TWIML)


async def _call(
    request: Request, line_id: str, pool: PoolDep, settings: SettingsDep
) -> tuple[channel_links.PhoneLine, dict[str, str]]:
    """The line and the form of a signed request of its voice service."""
    raw = (await request.body())[:MAX_FORM].decode("utf-8", "replace")
    form = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
    async with pool.connection() as conn:
        line = await channel_links.phone_line(conn, line_id)
    if line is None:
        raise ProblemError(404, "not-found", "Phone line not found", f"no phone line {line_id!r}")
    url = settings.public_url.rstrip("/") + request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if not voice.signed(line.auth_token, url, form, request.headers.get("X-Twilio-Signature")):
        raise ProblemError(
            403, "bad-signature", "Not signed by the voice service", "X-Twilio-Signature is missing or wrong"
        )
    if not re.match(CALL_SID, form.get("CallSid", "")):
        raise ProblemError(422, "invalid-request", "Invalid request", "CallSid is missing or malformed")
    return line, form


@router.post("/phone/{line_id}/voice", responses=RESPONSES, openapi_extra=FORM, summary="A call begins (TwiML)")
async def answer(
    line_id: LineId, request: Request, pool: PoolDep, settings: SettingsDep, lang: Lang | None = None
) -> Response:
    line, _ = await _call(request, line_id, pool, settings)
    language = lang or line.language
    return _twiml(voice.ask_face(f"/phone/{line_id}/voice/face?lang={language}", language))


@router.post("/phone/{line_id}/voice/face", responses=RESPONSES, openapi_extra=FORM, summary="The face's digit (TwiML)")
async def face(line_id: LineId, request: Request, pool: PoolDep, settings: SettingsDep, lang: Lang = "it") -> Response:
    line, form = await _call(request, line_id, pool, settings)
    digits = form.get("Digits", "")
    if digits == voice.ENGLISH_DIGIT:
        return _twiml(voice.ask_face(f"/phone/{line_id}/voice/face?lang=en", "en"))
    if digits not in voice.DIGIT_FACES:
        return _twiml(voice.redirect(f"/phone/{line_id}/voice?lang={lang}", lang))
    chosen = voice.DIGIT_FACES[digits]
    source = f"phone:{line.id}"
    now = datetime.now(UTC)
    row = ChannelRow(
        event_id(line.org, source, form["CallSid"]),
        line.service_point,
        line.service,
        "phone",
        chosen,
        None,
        now,
        False,
        False,
    )
    async with pool.connection() as conn:
        await take(conn, line.org, source, [row], [Hit(line.id, form.get("From") or None)], settings, now)
        reasons = await channel_links.reason_labels(conn, line.org)
    if chosen != "negative" or not reasons:
        return _twiml(voice.thank(lang))
    labels = [page.reason_label(code, it, en, lang) for code, it, en in reasons[: voice.MAX_REASONS]]
    return _twiml(voice.ask_reason(f"/phone/{line_id}/voice/reason?lang={lang}", lang, labels))


@router.post(
    "/phone/{line_id}/voice/reason", responses=RESPONSES, openapi_extra=FORM, summary="The reason's digit (TwiML)"
)
async def reason(
    line_id: LineId, request: Request, pool: PoolDep, settings: SettingsDep, lang: Lang = "it"
) -> Response:
    line, form = await _call(request, line_id, pool, settings)
    digits = form.get("Digits", "")
    async with pool.connection() as conn:
        reasons = (await channel_links.reason_labels(conn, line.org))[: voice.MAX_REASONS]
        if digits.isdigit() and 1 <= int(digits) <= len(reasons):
            event = event_id(line.org, f"phone:{line.id}", form["CallSid"])
            since = datetime.now(UTC) - timedelta(hours=2)
            await channel_ratings.add_reason(conn, line.org, event, reasons[int(digits) - 1][0], since)
    return _twiml(voice.thank(lang))


class PhoneLineRequest(Body):
    service_point: Slug
    service: Slug | None = None
    language: Annotated[str, StringConstraints(pattern=r"^(it|en)$")] = Field(
        default="it", description="Language a call starts in (Italian callers can press 9 for English)."
    )
    auth_token: Annotated[str, StringConstraints(pattern=r"^[\x21-\x7e]{16,128}$")] = Field(
        description="The voice service's auth token: it signs every request (X-Twilio-Signature). Kept, never shown."
    )


class PhoneLineOut(BaseModel):
    id: str
    voice_url: str = Field(description="Set it as the number's voice webhook (HTTP POST).")
    service_point: str
    service: str | None
    language: str


def _out(line: channel_links.PhoneLine, base: str) -> PhoneLineOut:
    return PhoneLineOut(
        id=line.id,
        voice_url=voice_url(base, line.id),
        service_point=line.service_point,
        service=line.service,
        language=line.language,
    )


@router.post(
    "/v1/organisations/{org}/phone-lines",
    response_model=PhoneLineOut,
    status_code=201,
    responses=AUTH_RESPONSES,
    tags=["channels"],
    summary="A phone line: the voice webhook of a service point's number",
)
async def create_line(
    org: OrgId, body: PhoneLineRequest, principal: Admin, pool: PoolDep, settings: SettingsDep
) -> PhoneLineOut:
    async with pool.connection() as conn:
        await scope.organisation(conn, principal, org)
        try:
            line = await channel_links.create_phone_line(
                conn, org, body.service_point, body.service, body.language, body.auth_token
            )
        except RegistryError as exc:
            raise ProblemError(exc.status, exc.kind, exc.title, exc.detail) from None
    return _out(line, settings.public_url)


@router.get(
    "/v1/organisations/{org}/phone-lines",
    response_model=list[PhoneLineOut],
    responses=AUTH_RESPONSES,
    tags=["channels"],
    summary="The organisation's phone lines",
)
async def list_lines(org: OrgId, principal: Reader, pool: PoolDep, settings: SettingsDep) -> list[PhoneLineOut]:
    async with pool.connection() as conn:
        await scope.organisation(conn, principal, org)
        return [_out(line, settings.public_url) for line in await channel_links.phone_lines(conn, org)]
