"""Rating links (the web page's public addresses) and the sites that may embed the page.

A link is made for a service point (optionally one service) and stays until it is rotated: rotating
revokes it (its page answers 404 from then on) and makes a new one, e.g. after a poster was defaced.
"""

from __future__ import annotations

import asyncio
from html import escape
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field, StringConstraints

from collector.api import scope
from collector.api.deps import PoolDep, SettingsDep
from collector.api.problems import AUTH_RESPONSES, ProblemError
from collector.api.routes.rating_page import LinkId
from collector.api.routes.registry import OrgId
from collector.api.schemas import Body, Timestamp
from collector.api.security import Admin, Reader
from collector.channels.poster import PaperSize, poster_pdf
from collector.channels.urls import link_url
from collector.store import channel_links
from collector.store.registry import RegistryError
from protocol.messages import Slug

router = APIRouter(prefix="/v1/organisations", tags=["channels"])

ORIGIN = r"^https://[a-z0-9.-]+(:[0-9]{1,5})?$"


class LinkRequest(Body):
    service_point: Slug
    service: Slug | None = Field(default=None, description="A link for one service of the service point.")
    rotate: bool = Field(default=False, description="Revoke the current link and make a new one.")


class LinkOut(BaseModel):
    id: str
    url: str = Field(description="The page citizens open (and the posters' QR code).")
    embed: str = Field(description="An iframe snippet for the organisation's own site (see web-embedding).")
    service_point: str
    service: str | None
    service_name: str | None = Field(description="The service's name, for people (null: the whole service point).")
    created_at: Timestamp


def link_out(link: channel_links.Link, base: str) -> LinkOut:
    url = link_url(base, link.id)
    title = escape(f"{link.org_name} · {link.service_point_name}")
    embed = f'<iframe src="{url}" title="{title}" width="100%" height="560" style="border:0"></iframe>'
    return LinkOut(
        id=link.id,
        url=url,
        embed=embed,
        service_point=link.service_point,
        service=link.service,
        service_name=link.service_name,
        created_at=link.created_at,
    )


def _registry_problem(exc: RegistryError) -> ProblemError:
    return ProblemError(exc.status, exc.kind, exc.title, exc.detail)


@router.post(
    "/{org}/rating-links",
    response_model=LinkOut,
    status_code=201,
    responses={**AUTH_RESPONSES, 200: {"description": "The link that exists already", "model": LinkOut}},
    summary="The web rating page's link of a service point (made if missing; `rotate` replaces it)",
)
async def make_link(
    org: OrgId, body: LinkRequest, principal: Admin, pool: PoolDep, settings: SettingsDep, response: Response
) -> LinkOut:
    async with pool.connection() as conn:
        await scope.organisation(conn, principal, org)
        try:
            link, made = await channel_links.link_for(
                conn, org, body.service_point, body.service, rotate=body.rotate, scope=principal.scope
            )
        except RegistryError as exc:
            raise _registry_problem(exc) from None
    response.status_code = 201 if made else 200
    return link_out(link, settings.public_url)


@router.get(
    "/{org}/rating-links",
    response_model=list[LinkOut],
    responses=AUTH_RESPONSES,
    summary="The organisation's active rating links",
)
async def list_links(org: OrgId, principal: Reader, pool: PoolDep, settings: SettingsDep) -> list[LinkOut]:
    async with pool.connection() as conn:
        await scope.organisation(conn, principal, org)
        return [link_out(link, settings.public_url) for link in await channel_links.links(conn, org)]


@router.delete(
    "/{org}/rating-links/{link_id}",
    status_code=204,
    responses=AUTH_RESPONSES,
    summary="Revoke a rating link: its page answers 404 from now on",
)
async def revoke_link(org: OrgId, link_id: LinkId, principal: Admin, pool: PoolDep) -> Response:
    async with pool.connection() as conn:
        await scope.organisation(conn, principal, org)
        try:
            await channel_links.revoke_link(conn, org, link_id)
        except RegistryError as exc:
            raise _registry_problem(exc) from None
    return Response(status_code=204)


class Embedding(Body):
    frame_ancestors: list[Annotated[str, StringConstraints(pattern=ORIGIN)]] = Field(
        default_factory=list,
        max_length=20,
        description="Origins allowed to show the rating pages in an iframe, like https://www.comune.torino.it "
        "(HTTPS only). Empty: no site may.",
    )


@router.put(
    "/{org}/web-embedding",
    response_model=Embedding,
    responses=AUTH_RESPONSES,
    summary="Which sites may embed the organisation's rating pages (CSP frame-ancestors)",
)
async def put_embedding(org: OrgId, body: Embedding, principal: Admin, pool: PoolDep) -> Embedding:
    async with pool.connection() as conn:
        await scope.organisation(conn, principal, org)
        await channel_links.set_frame_ancestors(conn, org, sorted(set(body.frame_ancestors)))
        return Embedding(frame_ancestors=await channel_links.frame_ancestors(conn, org))


@router.get(
    "/{org}/web-embedding",
    response_model=Embedding,
    responses=AUTH_RESPONSES,
    summary="Which sites may embed the organisation's rating pages",
)
async def get_embedding(org: OrgId, principal: Reader, pool: PoolDep) -> Embedding:
    async with pool.connection() as conn:
        await scope.organisation(conn, principal, org)
        return Embedding(frame_ancestors=await channel_links.frame_ancestors(conn, org))


@router.get(
    "/{org}/rating-links/{link_id}/poster.pdf",
    response_class=Response,
    responses={**AUTH_RESPONSES, 200: {"description": "The poster", "content": {"application/pdf": {}}}},
    summary="The printable poster of a rating link (A4 or A5 PDF, Italian and English, a QR code to the page)",
)
async def poster(
    org: OrgId,
    link_id: LinkId,
    principal: Reader,
    pool: PoolDep,
    settings: SettingsDep,
    size: PaperSize = "A4",
    lang: Annotated[str, Query(pattern=r"^(it|en)$")] = "it",
) -> Response:
    async with pool.connection() as conn:
        await scope.organisation(conn, principal, org)
        link = await channel_links.active_link(conn, link_id)
    if link is None or link.org != org:
        raise ProblemError(404, "not-found", "Rating link not found", f"no active rating link {link_id!r}")
    place = " · ".join(p for p in (link.org_name, link.service_point_name, link.service_name) if p)
    pdf = await asyncio.to_thread(poster_pdf, link_url(settings.public_url, link.id), place, size, lang)
    name = f"poster-{link.service_point}{'-' + link.service if link.service else ''}.pdf"
    return Response(
        pdf, media_type="application/pdf", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )
