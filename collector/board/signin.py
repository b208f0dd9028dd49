"""Signing in and out, the language switch, and the board's own files (styles, script, faces).

A sign-in (a pasted key, a one-time link) is an authentication like an API request's: its failures count
against the client address's limit that every collector process shares (collector/api/auth_failures.py);
past it the page says, in the reader's language, how long to wait (429, `Retry-After`)."""

from __future__ import annotations

from importlib import resources
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from collector.api.attempt_limits import source_of, wait_seconds
from collector.api.auth_failures import AuthFailures
from collector.api.deps import PoolDep, SettingsDep
from collector.api.problems import ProblemError
from collector.board import errors, render, session
from collector.store.attempts import Spent
from face_art import FACES, face_svg
from i18n import LANGUAGES, N_, translator

router = APIRouter(include_in_schema=False)
MAX_FORM = 4096
STATIC = {"board.css": "text/css; charset=utf-8", "board.js": "text/javascript; charset=utf-8"}
STATIC_CACHE = {"Cache-Control": "public, max-age=3600"}
# Translators: the board's sign-in page, after too many failed sign-ins from one address (HTTP 429).
LOCKED = N_("Too many failed sign-ins from this address. Try again in {seconds} s.")


def local_path(target: str | None) -> str:
    """`target` if it is a page of the board (never another site: no open redirect), else the overview."""
    if not target:
        return "/board"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/board") or target.startswith("//"):
        return "/board"
    return target


def same_origin(request: Request) -> None:
    """Forms post from the board's own pages only (SameSite=Strict already keeps the cookie home)."""
    site = request.headers.get("sec-fetch-site")
    origin = request.headers.get("origin")
    if site not in (None, "same-origin", "none") or (
        origin not in (None, "null") and urlsplit(origin).netloc != request.url.netloc
    ):
        raise ProblemError(403, "forbidden", "Cross-site request refused", "post this form from the board itself")


def _redirect(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303, headers=render.PRIVATE)


def _locked(request: Request, spent: Spent) -> Response:
    wait = wait_seconds(spent)
    detail = translator(render.language(request))(LOCKED, seconds=wait)
    return errors.error_page(request, 429, detail, {"Retry-After": str(wait)})


@router.get("/board/sign-in")
async def sign_in_form(
    request: Request,
    pool: PoolDep,
    settings: SettingsDep,
    link: str | None = Query(default=None, max_length=100),
    next: str | None = Query(default=None, max_length=2000),
    notice: str | None = Query(default=None, pattern=r"^(signed-out|expired)$"),
) -> Response:
    if link is not None:
        failures: AuthFailures = request.app.state.auth_failures
        async with pool.connection() as conn:
            attempt = await failures.begin(conn, source_of(request))
            if isinstance(attempt, Spent):
                return _locked(request, attempt)
            key_id = await session.use_link(conn, link)
            if key_id is not None:
                token, expires = await session.start(conn, key_id, settings.board_session_hours)
            await failures.ended(conn, attempt, succeeded=key_id is not None)
        if key_id is None:
            return render.html(request, "sign_in.html", None, status=400, notice="dead-link", next="/board")
        response = _redirect("/board")  # a clean URL: the used link leaves the address bar
        session.set_cookie(request, response, token, expires)
        return response
    return render.html(request, "sign_in.html", None, notice=notice, next=local_path(next))


@router.post("/board/sign-in")
async def sign_in(request: Request, pool: PoolDep, settings: SettingsDep) -> Response:
    same_origin(request)
    body = await request.body()
    form = parse_qs(body[:MAX_FORM].decode("utf-8", "replace"), max_num_fields=4)
    pasted = (form.get("key") or [""])[0]
    target = local_path((form.get("next") or [""])[0])
    failures: AuthFailures = request.app.state.auth_failures
    async with pool.connection() as conn:
        attempt = await failures.begin(conn, source_of(request))
        if isinstance(attempt, Spent):
            return _locked(request, attempt)
        principal = await session.key_of(conn, pasted)
        if principal is not None:
            token, expires = await session.start(conn, principal.key_id, settings.board_session_hours)
        await failures.ended(conn, attempt, succeeded=principal is not None)
    if principal is None:
        return render.html(request, "sign_in.html", None, status=401, notice="bad-key", next=target)
    response = _redirect(target)
    session.set_cookie(request, response, token, expires)
    return response


@router.post("/board/sign-out")
async def sign_out(request: Request, pool: PoolDep) -> Response:
    same_origin(request)
    token = request.cookies.get(session.COOKIE)
    if token and len(token) <= 100:
        async with pool.connection() as conn:
            await session.end(conn, token)
    response = _redirect("/board/sign-in?notice=signed-out")
    session.clear_cookie(request, response)
    return response


@router.get("/board/language/{lang}")
async def choose_language(lang: str, next: str | None = Query(default=None, max_length=2000)) -> Response:
    response = _redirect(local_path(next))
    if lang in LANGUAGES:
        response.set_cookie(render.LANGUAGE_COOKIE, lang, max_age=365 * 86400, path="/board", samesite="strict")
    return response


@router.get("/board/static/{name}")
async def static(name: str) -> Response:
    if name in STATIC:
        text = (resources.files("collector.board") / "static" / name).read_bytes()
        return Response(text, media_type=STATIC[name], headers=STATIC_CACHE)
    face = name.removeprefix("face-").removesuffix(".svg")
    if name == f"face-{face}.svg" and face in FACES:
        return Response(face_svg(face, 24), media_type="image/svg+xml", headers=STATIC_CACHE)
    raise ProblemError(404, "not-found", "Not found")
