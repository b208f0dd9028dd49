"""Enrol a kiosk from the board: an administrator makes a one-time enrolment code for a service point (for a new
kiosk, or for the new device of one of its kiosks: a replacement), sees it once (its digits grouped for reading
aloud and its QR, on a sheet to print for the installer), follows the organisation's codes (waiting, used by
which kiosk, expired, revoked; which kiosk each replaces), and revokes one not used yet.

Every action calls the API's own route functions (`GET`, `POST`, `DELETE /v1/organisations/{org}/enrolment-codes`,
`GET /v1/kiosks`) with the signed-in key, so the board allows exactly what the API allows: only an administrator
key, and a key bound to one organisation touches nothing of another. The board is stricter in one place: it
offers, and takes, only a kiosk of the organisation standing at the chosen service point. Only a slow hash of a
code is kept: after the answer to the form that made it, no page can show it again.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

import segno
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from markupsafe import Markup, escape
from psycopg_pool import AsyncConnectionPool
from pydantic import BaseModel, ValidationError

from collector.api.deps import PoolDep, SettingsDep
from collector.api.problems import ProblemError
from collector.api.routes import enrolment as enrolment_api
from collector.api.routes import kiosks as kiosks_api
from collector.api.routes import registry as registry_api
from collector.api.routes.registry import OrgId
from collector.api.security import Principal
from collector.board import render
from collector.board.filters import SlugFilter
from collector.board.session import BoardReader
from collector.board.signin import MAX_FORM, same_origin
from i18n import N_, translator

router = APIRouter()
ENROLLERS = ("admin",)
"""Who may enrol kiosks: the roles the enrolment-code routes of the API accept."""
MAX_FIELDS = 20
PAGE = "/board/enrolment"
STILL: dict[str, Any] = {"active": "enrolment", "refresh_seconds": 0}
"""The page never refreshes itself: a code shown once is the answer to a form, and must stay on the screen."""

# Translators: what is wrong in the form that makes an enrolment code (the board's "Enrol a kiosk" page).
CHOOSE_POINT = N_("Choose a service point of this organisation.")
UNKNOWN_POINT = N_("This organisation has no service point with this id.")
UNKNOWN_SERVICE = N_("Choose services of this organisation only.")
DAYS_BOUNDS = N_("Between 0.01 days (a quarter of an hour) and 90 days.")
NOTE_TOO_LONG = N_("At most 200 characters, on one line.")
UNKNOWN_KIOSK = N_("This organisation has no kiosk with this id: choose one of its kiosks, or a new kiosk.")
KIOSK_ELSEWHERE = N_("This kiosk stands at another service point: choose that service point, or a new kiosk.")
KEEPS_SERVICES = N_("A new device keeps the services of the kiosk it replaces: untick them, or choose a new kiosk.")
STEPS = (
    # Translators: the enrolment sheet an installer takes to the counter, step 1 of 3 at the kiosk.
    N_('Connect the kiosk to the network and switch it on: it shows "Waiting for enrolment".'),
    # Translators: the enrolment sheet, step 2 of 3. The button kiosk has no keypad: it reads a file.
    N_(
        "Scan this QR code with the kiosk's reader, or type the 16 digits on its keypad and press OK. "
        "A button kiosk: write the code in the file mlf-enrol.txt on the memory card's boot partition."
    ),
    # Translators: the enrolment sheet, step 3 of 3.
    N_(
        "Wait a few seconds: the kiosk says it is enrolled and shows the faces. "
        "This page then lists the code as used, with the kiosk's name."
    ),
)
# Translators: the alternative text of the QR code on the enrolment sheet.
QR_LABEL = N_("QR code of the enrolment code")


class CodeForm(BaseModel):
    """What was typed in the form, kept as typed so that nothing is lost when it is refused."""

    service_point: str = ""
    kiosk: str = ""
    """The kiosk whose new device the code enrols (a replacement); empty: a new kiosk."""
    services: list[str] = []
    days: str = ""
    note: str = ""


class EnrolPage(BaseModel):
    organisation: registry_api.Organisation | None
    """The organisation whose codes are shown (None: the key sees no organisation yet)."""
    organisations: list[registry_api.Organisation]
    service_points: list[registry_api.ServicePoint]
    services: list[registry_api.Service]
    kiosks: list[kiosks_api.KioskStatus]
    """`GET /v1/kiosks?org=`'s answer: the kiosks a code may give a new device to."""
    codes: list[enrolment_api.CodeInfo]
    """`GET /v1/organisations/{org}/enrolment-codes`'s answer, newest first (never a code)."""


def _enroller(user: Principal) -> None:
    if user.role not in ENROLLERS:
        raise ProblemError(403, "forbidden", "Not allowed for this key", "only an administrator enrols kiosks")


async def enrol_data(user: Principal, pool: AsyncConnectionPool, org: str | None) -> EnrolPage:
    """The page's data for `org` (default: the key's organisation, else the first it sees); 403 for an
    organisation the key is not bound to, 404 for an unknown one, exactly as the API answers."""
    _enroller(user)
    organisations = await registry_api.list_organisations(principal=user, pool=pool)
    chosen = org or user.org or (organisations[0].id if organisations else None)
    if chosen is None:
        return EnrolPage(organisation=None, organisations=[], service_points=[], services=[], kiosks=[], codes=[])
    codes = await enrolment_api.list_codes(org=chosen, principal=user, pool=pool)  # checks the scope first
    return EnrolPage(
        organisation=next(o for o in organisations if o.id == chosen),
        organisations=organisations,
        service_points=await registry_api.list_service_points(org=chosen, principal=user, pool=pool),
        services=await registry_api.list_services(org=chosen, principal=user, pool=pool),
        kiosks=await kiosks_api.fleet(principal=user, pool=pool, org=chosen),
        codes=codes,
    )


@router.get(PAGE, include_in_schema=False)
async def enrol_page(
    request: Request,
    user: BoardReader,
    pool: PoolDep,
    org: SlugFilter = None,
    notice: str | None = Query(default=None, pattern=r"^(revoked|used)$"),
    format: render.Format = "html",
) -> Response:
    data = await enrol_data(user, pool, org)
    return render.page(
        request, "enrolment.html", user, data, format, form=CodeForm(), errors={}, notice=notice, **STILL
    )


def _read_form(body: bytes) -> CodeForm:
    form = parse_qs(body[:MAX_FORM].decode("utf-8", "replace"), max_num_fields=MAX_FIELDS)
    first = {name: (form.get(name) or [""])[0].strip() for name in ("service_point", "kiosk", "days", "note")}
    return CodeForm(**first, services=[s for s in form.get("service", []) if s])


def _replacing(form: CodeForm, page: EnrolPage) -> dict[str, str]:
    """What is wrong with the kiosk the code would give a new device to: one of the organisation's own kiosks
    only (the API would refuse another organisation's with a conflict), standing at the chosen service point
    (the board makes no code that moves a kiosk), whose services it keeps (the kiosk's, not the form's)."""
    kiosk = next((k for k in page.kiosks if k.id == form.kiosk), None)
    if kiosk is None:
        return {"kiosk": UNKNOWN_KIOSK}
    if kiosk.service_point != form.service_point and form.service_point in {p.id for p in page.service_points}:
        return {"kiosk": KIOSK_ELSEWHERE}
    return {"services": KEEPS_SERVICES} if form.services else {}


def _checked(form: CodeForm, page: EnrolPage) -> tuple[enrolment_api.CodeIn | None, dict[str, str]]:
    """The API's request body from the form, or what is wrong with each field (a catalogue text)."""
    if not form.service_point:
        return None, {"service_point": CHOOSE_POINT}
    if form.kiosk and (wrong := _replacing(form, page)):
        return None, wrong
    try:
        days = float(form.days.replace(",", ".")) if form.days else None
    except ValueError:
        return None, {"days": DAYS_BOUNDS}
    try:
        body = enrolment_api.CodeIn(
            service_point=form.service_point,
            kiosk_id=form.kiosk or None,
            services=form.services,
            days=days,
            note=form.note or None,
        )
    except ValidationError as exc:
        fields = {str(e["loc"][0]).replace("kiosk_id", "kiosk") for e in exc.errors()}
        messages = {
            "service_point": UNKNOWN_POINT,
            "kiosk": UNKNOWN_KIOSK,
            "services": UNKNOWN_SERVICE,
            "days": DAYS_BOUNDS,
        }
        return None, {f: messages.get(f, NOTE_TOO_LONG) for f in fields}
    return body, {}


def _refusal(exc: ProblemError) -> dict[str, str] | None:
    """A refusal of the API as a message at its field; None for one the page cannot help with."""
    if exc.status == 404 and exc.title == "Service point not found":  # collector.store.registry.not_found
        return {"service_point": UNKNOWN_POINT}
    if exc.status == 422 and exc.title == "Unknown service":  # collector.store.registry.check_services
        return {"services": UNKNOWN_SERVICE}
    if exc.status == 409 and exc.title == "Already exists":  # collector.store.enrolment.create: another org's kiosk
        return {"kiosk": UNKNOWN_KIOSK}
    return None


def qr_svg(text: str, label: str) -> str:
    """The QR as inline SVG (the board's CSP takes no image from elsewhere), sized by the stylesheet."""
    svg: str = segno.make(text, error="m").svg_inline(scale=1, border=4, omitsize=True, svgclass="qr")
    return Markup(svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" ', 1))  # noqa: S704 - segno's SVG


@router.post("/board/organisations/{org}/enrolment-codes", include_in_schema=False)
async def make_code(
    request: Request,
    user: BoardReader,
    pool: PoolDep,
    settings: SettingsDep,
    org: OrgId,
    format: render.Format = "html",
) -> Response:
    """Make a code and show it this once (the answer to the form, never stored: no page can show it again);
    a refused form comes back with its message at the field and what was typed."""
    same_origin(request)
    data = await enrol_data(user, pool, org)
    form = _read_form(await request.body())
    body, errors = _checked(form, data)
    new: enrolment_api.NewCodeOut | None = None
    if body is not None:
        try:
            new = await enrolment_api.create_code(org=org, body=body, principal=user, pool=pool, settings=settings)
        except ProblemError as exc:
            if (errors := _refusal(exc) or {}) == {}:
                raise
    if new is None:
        values: dict[str, Any] = {"form": form, "errors": errors, "notice": None}
        if format == "json":
            return JSONResponse({"errors": errors}, status_code=422, headers=render.PRIVATE)
        return render.html(request, "enrolment.html", user, status=422, page=data, **values, **STILL)
    if format == "json":
        return JSONResponse(new.model_dump(mode="json"), status_code=201, headers=render.PRIVATE)
    data = await enrol_data(user, pool, org)
    lang = render.language(request)
    alongside = "en" if lang != "en" else "it"
    return render.html(
        request,
        "enrolment.html",
        user,
        status=201,
        page=data,
        form=CodeForm(),
        errors={},
        notice=None,
        new=new,
        qr=qr_svg(new.qr_text, translator(lang)(QR_LABEL)),
        steps=STEPS,
        alongside=translator(alongside),
        alongside_lang=alongside,
        **STILL,
    )


@router.post("/board/organisations/{org}/enrolment-codes/{code_id}/revoke", include_in_schema=False)
async def revoke_code(
    request: Request, user: BoardReader, pool: PoolDep, org: OrgId, code_id: enrolment_api.CodeId
) -> Response:
    """Revoke a code not used yet (the page asks first), then back to the list, which says what happened."""
    same_origin(request)
    _enroller(user)
    notice = "revoked"
    try:
        await enrolment_api.revoke_code(org=org, code_id=code_id, principal=user, pool=pool)
    except ProblemError as exc:
        if exc.status != 409:  # used in the meantime (a kiosk was quicker than the confirmation)
            raise
        notice = "used"
    return RedirectResponse(f"{PAGE}?org={org}&notice={notice}#codes", status_code=303, headers=render.PRIVATE)
