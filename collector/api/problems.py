"""Errors as RFC 9457 problem details (`application/problem+json`), built in one place."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException
from starlette.routing import compile_path

PROBLEM_TYPE_BASE = "https://mettiamoci-la-faccia.example/problems/"
MEDIA_TYPE = "application/problem+json"


class Problem(BaseModel):
    type: str = Field(description="URI naming the kind of problem.")
    title: str = Field(description="Short summary of the kind of problem.")
    status: int
    detail: str | None = Field(default=None, description="What went wrong this time.")
    instance: str | None = None
    errors: list[dict[str, Any]] | None = Field(default=None, description="Per-field errors, for 422.")


class ProblemError(Exception):
    """Raise from a route to answer with a problem document."""

    def __init__(
        self,
        status: int,
        kind: str,
        title: str,
        detail: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail or title)
        self.status, self.kind, self.title, self.detail = status, kind, title, detail
        self.headers = headers


def problem_response(
    status: int,
    kind: str,
    title: str,
    detail: str | None,
    request: Request,
    errors: list[dict[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body = Problem(
        type=PROBLEM_TYPE_BASE + kind,
        title=title,
        status=status,
        detail=detail,
        instance=request.url.path,
        errors=errors,
    )
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=status,
        media_type=MEDIA_TYPE,
        headers=dict(headers) if headers else None,
    )


def install(app: FastAPI) -> None:
    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError) -> JSONResponse:
        return problem_response(exc.status, exc.kind, exc.title, exc.detail, request, headers=exc.headers)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> JSONResponse:
        if exc.status_code == 400:  # FastAPI's answer to a body that is not UTF-8; bad JSON is 422 already
            unreadable = "the body could not be read: send JSON in UTF-8"
            return problem_response(422, "invalid-request", "Invalid request", unreadable, request)
        kind = {404: "not-found", 405: "method-not-allowed", 401: "unauthorized", 403: "forbidden"}.get(
            exc.status_code, "http-error"
        )
        title = {404: "Not found"}.get(exc.status_code, str(exc.detail))
        detail = str(exc.detail) if exc.status_code != 404 or exc.detail != "Not Found" else None
        headers = dict(exc.headers or {})
        if exc.status_code == 405 and (methods := allowed_methods(request)):
            headers["Allow"] = ", ".join(methods)
        return problem_response(exc.status_code, kind, title, detail, request, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")} for e in exc.errors()
        ]
        detail = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors[:5])
        return problem_response(422, "invalid-request", "Invalid request", detail, request, errors)


def allowed_methods(request: Request) -> list[str]:
    """Every method the OpenAPI document gives this path (HEAD with GET): Starlette names those of the first
    route matching the path only, and GET and POST of one path are two routes here."""
    methods: set[str] = set()
    for template, operations in request.app.openapi()["paths"].items():
        if compile_path(template)[0].match(request.url.path):
            methods |= {method.upper() for method in operations}
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


def _problem(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {"model": Problem, "description": description, "content": {MEDIA_TYPE: {}}}
    if headers:
        response["headers"] = headers
    return response


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: _problem("Not found"),
    422: _problem("Invalid request"),
}
AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: _problem(
        "No API key, or an unknown, malformed or revoked one",
        {"WWW-Authenticate": {"description": "The Bearer challenge", "schema": {"type": "string"}}},
    ),
    403: _problem("The key's role does not allow this"),
    429: _problem(
        "The key's rate limit reached, or too many failed authentications from this address",
        {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}},
    ),
    **PROBLEM_RESPONSES,
}
CONFLICT_RESPONSES: dict[int | str, dict[str, Any]] = {**AUTH_RESPONSES, 409: _problem("Conflicts with what exists")}
