"""One page, two forms: HTML from its Jinja2 template, or its data as JSON (the page's twin, `?format=json`).

Templates are translated from the one gettext catalogue (`i18n/`): `{{ _("Text {name}", name=...) }}`, with
the same `{placeholder}` convention as the rest of the project, extracted by Babel (`babel.cfg`). The language
is the reader's choice (a cookie set by the language switch), else the browser's first shipped language,
else Italian.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from pydantic import BaseModel

from collector.api.security import Principal
from collector.board import charts, figures, nav, texts
from collector.board.fmt import Formats
from i18n import DEFAULT_LANGUAGE, LANGUAGES, language_name, translator

Format = Literal["html", "json"]
LANGUAGE_COOKIE = "mlf_board_lang"

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}
PRIVATE = {"Cache-Control": "no-store", "Vary": "Cookie"}
"""Pages carry what one key may see: never kept by a shared cache, nor shown from the history after sign-out."""

_env = Environment(
    loader=PackageLoader("collector.board", "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    extensions=["jinja2.ext.i18n"],
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.globals.update(
    charts=charts,
    figures=figures,
    nav=nav.ENTRIES,
    languages=[(lang, language_name(lang)) for lang in LANGUAGES],
    **texts.GLOBALS,
)


def language(request: Request) -> str:
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    for part in request.headers.get("accept-language", "").split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in LANGUAGES:
            return tag
    return DEFAULT_LANGUAGE


def context(request: Request, user: Principal | None, **values: Any) -> dict[str, Any]:
    lang = language(request)
    return {
        "request": request,
        "user": user,
        "lang": lang,
        "gettext": translator(lang),
        "fmt": Formats(lang),
        "refresh_seconds": request.app.state.settings.board_refresh_s,
        "now": datetime.now(UTC),
        "here": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        **values,
    }


def html(
    request: Request,
    template: str,
    user: Principal | None,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
    **values: Any,
) -> HTMLResponse:
    body = _env.get_template(template).render(context(request, user, **values))
    return HTMLResponse(body, status_code=status, headers={**PRIVATE, **(headers or {})})


def page(request: Request, template: str, user: Principal, data: BaseModel, fmt: Format, **values: Any) -> Response:
    """The page as HTML, or its data (`data`, nothing else) as JSON: the twin a test compares with the API."""
    if fmt == "json":
        return JSONResponse(data.model_dump(mode="json"), headers=PRIVATE)
    return html(request, template, user, page=data, **values)
