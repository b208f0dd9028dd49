"""Zero-touch kiosk enrolment: admins make one-time codes for a service point; a kiosk with no identity
trades one, without an API key, for its kiosk id and MQTT credentials (collector/enrolment/)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from collector.api import scope
from collector.api.deps import PoolDep, SettingsDep
from collector.api.problems import AUTH_RESPONSES, CONFLICT_RESPONSES, PROBLEM_RESPONSES, _problem
from collector.api.routes.kiosks import _apply
from collector.api.routes.registry import OrgId, handle
from collector.api.schemas import Body, Timestamp
from collector.api.security import Admin
from collector.config import CollectorSettings
from collector.enrolment.codes import issue
from collector.enrolment.exchange import exchange
from collector.enrolment.limits import EnrolmentLimits
from collector.store import enrolment
from collector.store.registry import RegistryError
from collector.store.scope import OrgScope
from protocol.enrolment import Enrolment, EnrolmentRequest, display, qr_text
from protocol.messages import Slug

router = APIRouter(tags=["enrolment"])
CodeId = Annotated[int, Path(ge=1, le=2**62, description="The code's id (from the list; never the code).")]


class CodeIn(Body):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"service_point": "roma-anagrafe-sportello-3", "days": 7, "note": "Pi 3"}]}
    )

    service_point: Slug = Field(description="Where the kiosk will stand.")
    kiosk_id: Slug | None = Field(
        default=None,
        description="The kiosk id to give; an existing kiosk of the organisation: its new device (the old one's "
        "password stops working). Default: `<service point>-k<n>`, the first free n.",
    )
    services: list[Slug] = Field(
        default_factory=list, max_length=12, description="Services offered.", json_schema_extra={"uniqueItems": True}
    )
    days: float | None = Field(default=None, ge=0.01, le=90, description="How long it works, in days (default 7).")
    note: str | None = Field(default=None, max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$", description="For you.")


class CodeInfo(BaseModel):
    id: int
    organisation: str
    service_point: str
    kiosk_id: str | None = Field(description="The kiosk id it gives, if chosen when it was made.")
    replaces: bool = Field(
        description="It gives an existing kiosk a new device (the old one's password stops working), rather than "
        "making a new kiosk: what it was made for; once used, what its use did."
    )
    services: list[str]
    note: str | None
    created_at: Timestamp
    expires_at: Timestamp
    redeemed_at: Timestamp | None
    redeemed_kiosk_id: str | None = Field(description="The kiosk it enrolled.")
    revoked_at: Timestamp | None
    state: str = Field(description="pending, used, expired or revoked.")


class NewCodeOut(CodeInfo):
    code: str = Field(description="The code, shown this once: only a slow hash is kept.")
    qr_text: str = Field(description="What its QR holds: `MLF-ENROL <code> <collector URL>`.")


def _limits(request: Request, settings: CollectorSettings) -> EnrolmentLimits:
    limits = getattr(request.app.state, "enrolment_limits", None)
    if limits is None:
        limits = EnrolmentLimits(settings.enrol_failure_limit, settings.enrol_failure_limit_total)
        request.app.state.enrolment_limits = limits
    return limits


ENROL_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: _problem("No enrolment code matches"),
    409: _problem("The code was used already"),
    410: _problem("The code expired or was revoked"),
    422: PROBLEM_RESPONSES[422],
    429: _problem(
        "Too many failed attempts (from this address or overall)",
        {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}},
    ),
}


@router.post(
    "/v1/enrolment",
    response_model=Enrolment,
    responses=ENROL_RESPONSES,
    summary="A kiosk with no identity trades a one-time code for its kiosk id and MQTT credentials (no key)",
    description="The code is the credential: no API key. It works once, until it expires, and the answer holds "
    "the kiosk's MQTT password, shown this once. Failed attempts are limited per address and overall (429). "
    "Kiosks must use HTTPS and check the certificate; see deploy/kiosk/README.md.",
)
async def enrol(body: EnrolmentRequest, request: Request, pool: PoolDep, settings: SettingsDep) -> Enrolment:
    source = request.client.host if request.client else "unknown"
    async with pool.connection() as conn:
        answer = await exchange(conn, settings, _limits(request, settings), source, body.code)
    await _apply(request)  # the broker knows the password before the kiosk tries it
    return answer


@router.post(
    "/v1/organisations/{org}/enrolment-codes",
    status_code=201,
    response_model=NewCodeOut,
    responses=CONFLICT_RESPONSES,
    summary="Make a one-time enrolment code for a service point (shown once)",
)
async def create_code(org: OrgId, body: CodeIn, principal: Admin, pool: PoolDep, settings: SettingsDep) -> NewCodeOut:
    days = body.days if body.days is not None else settings.enrol_code_days
    async with pool.connection() as conn:
        await scope.organisation(conn, principal, org)
        try:
            row, made = await issue(
                conn,
                service_point=body.service_point,
                kiosk_id=body.kiosk_id,
                services=body.services,
                days=days,
                note=body.note,
                scope=OrgScope(org),
            )
        except RegistryError as exc:
            raise handle(exc) from None
    return NewCodeOut(**row, code=display(made.code), qr_text=qr_text(made.code, settings.public_url))


@router.get(
    "/v1/organisations/{org}/enrolment-codes",
    response_model=list[CodeInfo],
    responses=AUTH_RESPONSES,
    summary="Enrolment codes of an organisation, newest first, with their state (never the codes)",
)
async def list_codes(org: OrgId, principal: Admin, pool: PoolDep) -> list[CodeInfo]:
    async with pool.connection() as conn:
        await scope.organisation(conn, principal, org)
        found = await enrolment.listing(conn, scope=principal.scope, org=org)
    return [CodeInfo(**r) for r in found]


@router.delete(
    "/v1/organisations/{org}/enrolment-codes/{code_id}",
    status_code=204,
    responses=CONFLICT_RESPONSES,
    summary="Revoke an enrolment code not used yet",
)
async def revoke_code(org: OrgId, code_id: CodeId, principal: Admin, pool: PoolDep) -> Response:
    async with pool.connection() as conn:
        await scope.organisation(conn, principal, org)
        try:
            await enrolment.revoke(conn, code_id, scope=principal.scope, org=org)
        except RegistryError as exc:
            raise handle(exc) from None
    return Response(status_code=204)
