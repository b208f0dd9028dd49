"""`/docs` and `/redoc` work on a network without internet: every script, style and icon is served by the
collector itself (from the fastapi-offline package), and nothing in the pages points elsewhere."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from tests.fixtures.fix_api import Api


class Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href") and value:
                self.urls.append(value)


@pytest.mark.parametrize(("page", "needs"), [("/docs", "swagger-ui-bundle.js"), ("/redoc", "redoc.standalone.js")])
def test_the_api_docs_load_everything_from_the_collector(api: Api, page: str, needs: str) -> None:
    response = api.client.get(page)
    assert response.status_code == 200
    html = response.text
    assert "http://" not in html
    assert "https://" not in html  # no CDN, no Google fonts, no validator badge
    parser = Assets()
    parser.feed(html)
    assert any(url.endswith(needs) for url in parser.urls), parser.urls
    for url in parser.urls:
        assert url.startswith("/"), url  # ours
        asset = api.client.get(url)
        assert asset.status_code == 200, url
        assert len(asset.content) > 1000, url
    assert api.client.get("/openapi.json").status_code == 200
    if page == "/docs":
        assert '"validatorUrl": null' in html  # Swagger UI would fetch a badge from validator.swagger.io
