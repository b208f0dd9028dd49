"""A service point's web rating page from the board: a manager makes its link, anyone signed in prints its poster.

Both call the API's own route functions with the reader's key (`POST /v1/organisations/{org}/rating-links`,
`GET .../rating-links/{link}/poster.pdf`), so the board allows exactly what the API allows: only an admin key
makes a link, and a key bound to one organisation touches nothing of another.
"""

from __future__ import annotations

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import RedirectResponse

from collector.api.deps import PoolDep, SettingsDep
from collector.api.problems import ProblemError
from collector.api.routes import rating_links as links_api
from collector.api.routes.rating_page import LinkId
from collector.api.routes.registry import OrgId
from collector.board import render
from collector.board.session import BoardReader
from collector.board.signin import same_origin
from collector.channels.poster import PaperSize
from protocol.messages import SLUG_PATTERN

router = APIRouter()
POSTER_LANGUAGES = ("it", "en")

MAKERS = ("admin",)
"""Who may make a rating link: the roles `POST /v1/organisations/{org}/rating-links` accepts."""


@router.post("/board/organisations/{org}/service-points/{sp_id}/rating-link", include_in_schema=False)
async def make_link(
    request: Request,
    user: BoardReader,
    pool: PoolDep,
    settings: SettingsDep,
    org: OrgId,
    sp_id: str = Path(pattern=SLUG_PATTERN),
) -> Response:
    """Make the service point's link (if it has none yet) and go back to its page."""
    same_origin(request)
    if user.role not in MAKERS:
        raise ProblemError(403, "forbidden", "Not allowed for this key", "only an administrator makes rating links")
    wanted = links_api.LinkRequest(service_point=sp_id)
    await links_api.make_link(org=org, body=wanted, principal=user, pool=pool, settings=settings, response=Response())
    return RedirectResponse(f"/board/service-points/{sp_id}#web-page", status_code=303, headers=render.PRIVATE)


@router.get("/board/organisations/{org}/rating-links/{link_id}/poster.pdf", include_in_schema=False)
async def poster(
    request: Request,
    user: BoardReader,
    pool: PoolDep,
    settings: SettingsDep,
    org: OrgId,
    link_id: LinkId,
    size: PaperSize = "A4",
) -> Response:
    """The link's printable poster (the API's own PDF), first in the reader's language if the poster has it."""
    lang = render.language(request)
    lang = lang if lang in POSTER_LANGUAGES else "it"
    return await links_api.poster(
        org=org, link_id=link_id, principal=user, pool=pool, settings=settings, size=size, lang=lang
    )
