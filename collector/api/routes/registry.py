"""The registry: organisations > sites > service points, services, the reasons catalogue."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import available_timezones

from fastapi import APIRouter, Path, Request, status
from pydantic import ConfigDict, Field, JsonValue, field_validator

from collector.api import scope
from collector.api.deps import PoolDep
from collector.api.problems import AUTH_RESPONSES, CONFLICT_RESPONSES, ProblemError
from collector.api.schemas import Body, ChannelName
from collector.api.security import Admin, Reader
from collector.store import registry
from protocol.messages import Slug

router = APIRouter(prefix="/v1/organisations", tags=["registry"])

OrgId = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$", description="Organisation id.", examples=["roma"])]
Name = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$")]
_EDGE = r"\x00-\x20\x7f-\x9f\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
ReasonLabel = Annotated[
    str, Field(min_length=1, max_length=120, pattern=rf"^[^{_EDGE}]([^\x00-\x1f\x7f-\x9f]*[^{_EDGE}])?$")
]
"""A label kiosks show: no control characters, no white space at either end (spelt out: regular expression
engines disagree on what `\\s` is)."""
ZONES: list[JsonValue] = [*sorted(available_timezones())]
"""The IANA time zones this installation knows (the document lists them)."""


class Organisation(Body):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"id": "roma", "name": "Roma Capitale", "timezone": "Europe/Rome"}]}
    )

    id: Slug
    name: Name
    timezone: str = Field(
        default="Europe/Rome",
        description="IANA time zone of its days, weeks and months.",
        json_schema_extra={"enum": ZONES},
    )

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        if value not in ZONES:
            raise ValueError(f"unknown time zone {value!r}")
        return value


class Site(Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"id": "roma-anagrafe-centrale", "name": "Anagrafe centrale", "region": "Centro"}]
        }
    )

    id: Slug
    name: Name
    region: Name | None = Field(
        default=None, description="For peer comparison: Nord-Ovest, Nord-Est, Centro, Sud, Isole."
    )


class ServicePoint(Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "roma-anagrafe-sportello-3",
                    "name": "Sportello 3",
                    "site": "roma-anagrafe-centrale",
                    "channel": "counter",
                }
            ]
        }
    )

    id: Slug
    name: Name
    site: Slug | None = None
    channel: ChannelName = "counter"


class Service(Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"id": "carta-identita", "name": "Carta d'identità", "name_en": "Identity card"}]
        }
    )

    id: Slug
    name: Name = Field(description="Italian name, shown first on kiosks.")
    name_en: Name | None = Field(default=None, description="English name, shown alongside.")


class Reason(Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"code": "waiting-time", "label_it": "Tempo di attesa", "label_en": "Waiting time"}]
        }
    )

    code: Slug
    label_it: ReasonLabel
    label_en: ReasonLabel


class Catalogue(Body):
    reasons: list[Reason] = Field(max_length=8, description="In the order kiosks show them (at most 8).")


def handle(exc: registry.RegistryError) -> ProblemError:
    return ProblemError(exc.status, exc.kind, exc.title, exc.detail)


async def poke(request: Request) -> None:
    reconciler = getattr(request.app.state, "reconciler", None)
    if reconciler is not None:
        reconciler.poke()


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=Organisation,
    responses=CONFLICT_RESPONSES,
    summary="Register an organisation (it gets the default reasons catalogue)",
)
async def create_organisation(body: Organisation, principal: Admin, pool: PoolDep) -> Organisation:
    scope.whole_installation(principal, "a new organisation")
    async with pool.connection() as conn:
        try:
            await registry.create_organisation(conn, body.id, body.name, body.timezone)
        except registry.RegistryError as exc:
            raise handle(exc) from None
    return body


@router.get("", response_model=list[Organisation], responses=AUTH_RESPONSES, summary="Organisations this key sees")
async def list_organisations(principal: Reader, pool: PoolDep) -> list[Organisation]:
    async with pool.connection() as conn:
        return [Organisation(**r) for r in await registry.organisations(conn, scope=principal.scope)]


@router.post(
    "/{org}/sites", status_code=201, response_model=Site, responses=CONFLICT_RESPONSES, summary="Register a site"
)
async def create_site(org: OrgId, body: Site, principal: Admin, pool: PoolDep) -> Site:
    async with pool.connection() as conn:
        await scope.organisation(conn, principal, org)
        try:
            await registry.create_site(conn, body.id, org, body.name, body.region)
        except registry.RegistryError as exc:
            raise handle(exc) from None
    return body


@router.get("/{org}/sites", response_model=list[Site], responses=AUTH_RESPONSES, summary="Sites of an organisation")
async def list_sites(org: OrgId, principal: Reader, pool: PoolDep) -> list[Site]:
    async with pool.connection() as conn:
        await scope.organisation(conn, principal, org)
        return [Site(**r) for r in await registry.sites(conn, org)]


@router.post(
    "/{org}/service-points",
    status_code=201,
    response_model=ServicePoint,
    responses=CONFLICT_RESPONSES,
    summary="Register a service point (a counter, or a phone or web endpoint)",
)
async def create_service_point(org: OrgId, body: ServicePoint, principal: Admin, pool: PoolDep) -> ServicePoint:
    async with pool.connection() as conn:
        await scope.organisation(conn, principal, org)
        try:
            await registry.create_service_point(conn, body.id, org, body.site, body.name, body.channel)
        except registry.RegistryError as exc:
            raise handle(exc) from None
    return body


@router.get(
    "/{org}/service-points",
    response_model=list[ServicePoint],
    responses=AUTH_RESPONSES,
    summary="Service points of an organisation",
)
async def list_service_points(org: OrgId, principal: Reader, pool: PoolDep) -> list[ServicePoint]:
    async with pool.connection() as conn:
        await scope.organisation(conn, principal, org)
        return [ServicePoint(**r) for r in await registry.service_points(conn, org)]


@router.post(
    "/{org}/services",
    status_code=201,
    response_model=Service,
    responses=CONFLICT_RESPONSES,
    summary="Register a service citizens come for",
)
async def create_service(org: OrgId, body: Service, principal: Admin, pool: PoolDep, request: Request) -> Service:
    async with pool.connection() as conn:
        await scope.organisation(conn, principal, org)
        try:
            await registry.create_service(conn, org, body.id, body.name, body.name_en)
        except registry.RegistryError as exc:
            raise handle(exc) from None
    await poke(request)
    return body


@router.get(
    "/{org}/services", response_model=list[Service], responses=AUTH_RESPONSES, summary="Services of an organisation"
)
async def list_services(org: OrgId, principal: Reader, pool: PoolDep) -> list[Service]:
    async with pool.connection() as conn:
        await scope.organisation(conn, principal, org)
        return [Service(**r) for r in await registry.services(conn, org)]


@router.get(
    "/{org}/reasons",
    response_model=Catalogue,
    responses=AUTH_RESPONSES,
    summary="The reasons catalogue kiosks offer after a red face",
)
async def get_reasons(org: OrgId, principal: Reader, pool: PoolDep) -> Catalogue:
    async with pool.connection() as conn:
        await scope.organisation(conn, principal, org)
        return Catalogue(reasons=[Reason(**r) for r in await registry.reasons(conn, org)])


@router.put(
    "/{org}/reasons",
    response_model=Catalogue,
    responses=AUTH_RESPONSES,
    summary="Replace the reasons catalogue (kiosks get it on their config topic)",
)
async def put_reasons(org: OrgId, body: Catalogue, principal: Admin, pool: PoolDep, request: Request) -> Catalogue:
    codes = [r.code for r in body.reasons]
    if len(set(codes)) != len(codes):
        raise ProblemError(422, "duplicate-code", "Duplicate reason code", "reason codes must be unique")
    async with pool.connection() as conn:
        await scope.organisation(conn, principal, org)
        await registry.replace_reasons(conn, org, [(r.code, r.label_it, r.label_en) for r in body.reasons])
    await poke(request)
    return body
