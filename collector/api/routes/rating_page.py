"""`/r/{link}`: the public web rating page of one service point (and optionally one service), no key.

GET shows the question and the faces in a plain form, carrying a fresh idempotency key; POST stores the
rating under that key (a form posted twice is one rating) with channel `web`. A red face is stored at
once and the reasons follow: a reason given then is added to that same rating. A link that was rotated
away, or never existed, answers 404 with a page saying so.
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Header, Path, Query, Request
from fastapi.responses import HTMLResponse

from collector.api.deps import PoolDep, SettingsDep
from collector.api.problems import PROBLEM_RESPONSES
from collector.channels import page
from collector.channels.abuse import Hit
from collector.channels.intake import take
from collector.channels.validate import event_id
from collector.store import channel_links, channel_ratings
from collector.store.channel_ratings import ChannelRow
from face_art import FACES

router = APIRouter(tags=["web rating page"])

LinkId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{20,64}$", description="The rating link's id.")]
FORM_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
MAX_FORM = 2048
PAGE_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such link (rotated away or never made)", "content": {"text/html": {}}},
    422: PROBLEM_RESPONSES[422],
}
REASON_WINDOW = timedelta(hours=2)
"""How long after the red face its reason may still be given."""


def _html(body: str, lang: str, frame_ancestors: list[str], status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        body,
        status_code=status,
        headers={
            "Content-Security-Policy": page.csp(frame_ancestors),
            "Content-Language": lang,
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.get(
    "/r/{link_id}",
    response_class=HTMLResponse,
    summary="The web rating page (HTML, no key): the question and three faces",
    responses=PAGE_RESPONSES,
)
async def rating_page(
    link_id: LinkId,
    pool: PoolDep,
    lang: Annotated[str | None, Query(pattern=r"^[a-z]{2}$", description="it, en, fr, de or es")] = None,
    accept_language: Annotated[str | None, Header()] = None,
) -> HTMLResponse:
    language = page.choose_language(lang, accept_language)
    async with pool.connection() as conn:
        link = await channel_links.active_link(conn, link_id)
        if link is None:
            return _gone(language)
        parents = await channel_links.frame_ancestors(conn, link.org)
    key = secrets.token_urlsafe(16)
    body = page.render("faces", language, _place(link, language), action=f"/r/{link_id}", key=key)
    return _html(body, language, parents)


@router.post(
    "/r/{link_id}",
    response_class=HTMLResponse,
    summary="The web rating page's form (application/x-www-form-urlencoded: k, face, reason, lang, step)",
    responses={**PAGE_RESPONSES, 400: {"description": "A form this page did not make", "content": {"text/html": {}}}},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "required": ["k", "face"],
                        "properties": {
                            "k": {"type": "string", "pattern": FORM_KEY.pattern, "description": "The page's key"},
                            "face": {"type": "string", "enum": list(FACES)},
                            "reason": {"type": "string", "description": "A reason code, or empty to skip"},
                            "lang": {"type": "string"},
                            "step": {"type": "string", "enum": ["reason"]},
                        },
                    }
                }
            },
        }
    },
)
async def rate(
    link_id: LinkId,
    request: Request,
    pool: PoolDep,
    settings: SettingsDep,
    accept_language: Annotated[str | None, Header()] = None,
) -> HTMLResponse:
    raw = (await request.body())[:MAX_FORM].decode("utf-8", "replace")
    form = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
    language = page.choose_language(form.get("lang"), accept_language)
    key, face, reason = form.get("k", ""), form.get("face", ""), form.get("reason") or None
    now = datetime.now(UTC)
    async with pool.connection() as conn:
        link = await channel_links.active_link(conn, link_id)
        if link is None:
            return _gone(language)
        parents = await channel_links.frame_ancestors(conn, link.org)
        place = _place(link, language)
        reasons = await channel_links.reason_labels(conn, link.org)
        codes = {code for code, _, _ in reasons}
        if not FORM_KEY.match(key) or face not in FACES or (reason is not None and reason not in codes):
            fresh = secrets.token_urlsafe(16)  # a form that is not ours: ask again
            body = page.render("faces", language, place, action=f"/r/{link_id}", key=fresh)
            return _html(body, language, parents, status=400)
        source = f"web:{link.id}"
        event = event_id(link.org, source, key)
        if face != "negative":
            reason = None
        row = ChannelRow(event, link.service_point, link.service, "web", face, reason, now, False, False)
        hit = Hit(link.id, request.client.host if request.client else None)
        [outcome] = await take(conn, link.org, source, [row], [hit], settings, now)
        if not outcome.stored and reason is not None:  # the red face came first: now its reason
            await channel_ratings.add_reason(conn, link.org, event, reason, now - REASON_WINDOW)
    if face == "negative" and form.get("step") != "reason" and reasons:
        body = page.render("reasons", language, place, action=f"/r/{link_id}", key=key, reasons=reasons)
    else:
        body = page.render("thanks", language, place)
    return _html(body, language, parents)


def _place(link: channel_links.Link, lang: str) -> page.Place:
    service = link.service_name_en if lang != "it" and link.service_name_en else link.service_name
    return page.Place(link.org_name, link.service_point_name, service)


def _gone(lang: str) -> HTMLResponse:
    return _html(page.render("gone", lang, page.Place("", "", None)), lang, [], status=404)
