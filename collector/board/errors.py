"""Errors on the board's pages as pages (the JSON twins keep the API's problem documents), and the headers
every board response carries: a strict Content-Security-Policy and friends."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from collector.api.problems import ProblemError, problem_response
from collector.board import render, session
from i18n import N_

Handler = Callable[[Request, Any], Awaitable[Response]]
TITLES = {
    400: N_("This request cannot be answered"),
    403: N_("Not for this key"),
    404: N_("Not found"),
    422: N_("Check the filters"),
    429: N_("Too many requests"),
}


def on_board(request: Request) -> bool:
    return request.url.path == "/board" or request.url.path.startswith("/board/")


def wants_page(request: Request) -> bool:
    """A board page in HTML (its JSON twin answers as the API does)."""
    return on_board(request) and request.query_params.get("format") != "json"


def error_page(request: Request, status: int, detail: str | None, headers: dict[str, str] | None = None) -> Response:
    return render.html(
        request,
        "error.html",
        None,
        status=status,
        headers=headers,
        title=TITLES.get(status, N_("Something went wrong")),
        detail=detail,
    )


def install(app: FastAPI) -> None:
    app.add_middleware(SecurityHeaders)
    app.add_middleware(Compressed)
    previous: dict[type[Exception], Handler] = {
        kind: app.exception_handlers[kind]  # type: ignore[misc]  # problems.install's handlers are all async
        for kind in (ProblemError, RequestValidationError, HTTPException)
    }

    @app.exception_handler(session.SignInRequired)
    async def _sign_in(request: Request, _exc: session.SignInRequired) -> Response:
        if not wants_page(request):
            detail = "sign in on /board/sign-in (this session is missing, expired or ended)"
            return problem_response(401, "unauthorized", "Authentication required", detail, request)
        notice = "&notice=expired" if session.COOKIE in request.cookies else ""
        wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        response = RedirectResponse(
            f"/board/sign-in?next={quote(wanted, safe='')}{notice}", status_code=303, headers=render.PRIVATE
        )
        if notice:
            session.clear_cookie(request, response)
        return response

    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError) -> Response:
        if wants_page(request):
            return error_page(request, exc.status, exc.detail, dict(exc.headers) if exc.headers else None)
        return await previous[ProblemError](request, exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        if wants_page(request):
            fields = ", ".join(str(e.get("loc", ("?",))[-1]) for e in exc.errors()[:5])
            return error_page(request, 422, fields)
        return await previous[RequestValidationError](request, exc)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        if wants_page(request) and exc.status_code in (404, 405):
            return error_page(request, 404, None)
        return await previous[HTTPException](request, exc)


def _board_path(scope: Scope) -> bool:
    path: str = scope.get("path", "") if scope["type"] == "http" else ""
    return path == "/board" or path.startswith("/board/")


class Compressed:
    """Board responses gzipped for browsers that take it (a page of a hundred rows is ~200 KB of HTML, ~20 KB
    gzipped); the API's answers are left as they are."""

    def __init__(self, app: ASGIApp) -> None:
        self.app, self.gzip = app, GZipMiddleware(app, minimum_size=1024, compresslevel=6)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await (self.gzip if _board_path(scope) else self.app)(scope, receive, send)


class SecurityHeaders:
    """Adds `render.SECURITY_HEADERS` to every response under /board (pure ASGI: no cost elsewhere)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not _board_path(scope):
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                for name, value in render.SECURITY_HEADERS.items():
                    if name.lower().encode() not in present:
                        headers.append((name.lower().encode(), value.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)
