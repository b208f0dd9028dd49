"""The managers' board: server-rendered pages (Jinja2, charts as SVG), served by the collector under `/board`.

Each page is one data function that calls the API's own route functions with the reader's key, so the
board can never disagree with the API: the same flags, intervals, counts, scope and reader resolution. The
page renders that data with its template as HTML, or returns it as JSON (`?format=json`: the page's twin,
compared with the API's answers in tests/board/test_twins.py).

To add a page:
1. `pages/<name>.py`: a pydantic model of its data, a data function that calls API route functions with
   the `Principal`, and a route `@router.get("/board/<name>", include_in_schema=False)` that ends with
   `render.page(request, "<name>.html", user, data, format)`; add its router to `ROUTERS` below;
2. `templates/<name>.html`, extending `base.html` (texts through `_()`; charts from `charts`, each with
   its table);
3. its entry in `nav.py`, if it belongs in the navigation;
4. its row in tests/board/test_board_access.py (the access matrix of the board's routes) and its twin in
   tests/board/test_twins.py; then run Babel's commands in i18n/README.md and translate the new texts.
"""

from __future__ import annotations

from fastapi import FastAPI

from collector.board import errors, signin
from collector.board.pages import enrolment, fleet, overview, rating_links, service_point

ROUTERS = (
    signin.router,
    overview.router,
    service_point.router,
    rating_links.router,
    fleet.router,
    enrolment.router,
)


def install(app: FastAPI) -> None:
    """Serve the board from `app`: its routes (kept out of the OpenAPI document), its error pages and headers."""
    for router in ROUTERS:
        app.include_router(router, include_in_schema=False)
    errors.install(app)
