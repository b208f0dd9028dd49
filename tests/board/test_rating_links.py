"""A service point's web rating page on the board: its link and poster, the button that makes the link (an
administrator's only), and each channel's figures beside the others, equal to the API's."""

from __future__ import annotations

import re

from tests.board.test_twins import twin
from tests.fixtures.fix_board import WEB_AND_PHONE, Board

POINT = "comune-anagrafe-1"
MAKE = f"/board/organisations/comune/service-points/{POINT}/rating-link"
BUTTON = re.compile(r'<form method="post" action="[^"]*/rating-link">')


def links(board: Board) -> list[dict[str, str]]:
    answer: list[dict[str, str]] = board.api("/v1/organisations/comune/rating-links", board.admin)
    return [link for link in answer if link["service_point"] == POINT]


def test_a_reader_sees_no_button_and_may_not_make_a_link(board: Board) -> None:
    board.signed_in(board.reader)
    html = board.client.get(f"/board/service-points/{POINT}", headers={"Accept-Language": "en"}).text
    if not links(board):
        assert "has no web rating page yet" in html
    assert not BUTTON.search(html)
    refused = board.client.post(MAKE, follow_redirects=False)
    assert refused.status_code == 403
    assert "only an administrator" in refused.text


def test_the_button_makes_the_link_and_the_page_shows_it_with_its_poster(board: Board) -> None:
    board.signed_in(board.admin)
    before = links(board)
    html = board.client.get(f"/board/service-points/{POINT}", headers={"Accept-Language": "it"}).text
    assert bool(BUTTON.search(html)) == (not before)
    made = board.client.post(MAKE, follow_redirects=False)
    assert made.status_code == 303
    assert made.headers["location"] == f"/board/service-points/{POINT}#web-page"
    (link,) = links(board)
    assert before in ([], [link])
    again = board.client.post(MAKE, follow_redirects=False)  # a second press keeps the one link
    assert again.status_code == 303
    assert links(board) == [link]
    html = board.client.get(f"/board/service-points/{POINT}", headers={"Accept-Language": "it"}).text
    assert f'href="{link["url"]}"' in html
    assert "Stampa il poster" in html
    assert not BUTTON.search(html)
    poster = re.search(r'href="(/board/organisations/comune/rating-links/[^"]+/poster\.pdf)"', html)
    assert poster is not None
    page = twin(board, f"/board/service-points/{POINT}")
    assert page["rating_links"] == links(board)
    board.signed_in(board.bound_reader)  # a reader prints the poster too
    pdf = board.client.get(poster.group(1))
    assert pdf.status_code == 200, pdf.text[:200]
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    assert board.client.get(poster.group(1).replace("/comune/", "/asl/")).status_code == 403


def test_a_post_from_another_site_is_refused(board: Board) -> None:
    board.signed_in(board.admin)
    refused = board.client.post(MAKE, headers={"Origin": "https://evil.example"}, follow_redirects=False)
    assert refused.status_code == 403


def test_each_channels_figures_are_the_apis(board: Board) -> None:
    board.signed_in(board.reader)
    page = twin(board, f"/board/service-points/{POINT}", period="30d")
    dates = {"from": page["period"]["start"], "to": page["period"]["end"]}
    api = board.api("/v1/organisations/comune/channels", board.reader, service_point=POINT, **dates)
    assert page["channels"] == api
    by_channel = {c["channel"]: c for c in api["channels"]}
    for channel, (green, yellow, red) in WEB_AND_PHONE.items():
        assert by_channel[channel]["counts"] == {"positive": green, "neutral": yellow, "negative": red}
    html = board.client.get(f"/board/service-points/{POINT}?period=30d", headers={"Accept-Language": "en"}).text
    for channel, name in (("counter", "Counter"), ("phone", "Phone"), ("web", "Web")):
        cells = rf'<tr id="channel-{channel}">\s*<th scope="row">{name}</th>.*?<td data-label="Ratings"[^>]*>(\d+)'
        row = re.search(cells, html, re.DOTALL)
        assert row is not None, channel
        assert int(row.group(1).replace(",", "")) == by_channel[channel]["total"]
    assert 'id="channel-paper"' not in html  # no paper forms at this counter


def test_the_overview_names_each_channels_ratings_beside_the_total(board: Board) -> None:
    board.signed_in(board.reader)
    api = board.api("/v1/overview", board.reader, org="comune")
    html = board.client.get("/board?org=comune", headers={"Accept-Language": "en"}).text
    rows = {r["service_point"]: r for r in api["rows"]}
    shown = {}
    for row_html in re.findall(r'<tr class="row-.*?</tr>', html, re.S):
        point = re.search(r'href="/board/service-points/([a-z0-9-]+)', row_html)
        assert point is not None
        cell = re.search(r'<span class="sub by-channel">(.*?)</span></td>', row_html, re.S)
        shown[point.group(1)] = re.findall(r'<span class="nowrap">(\w+) (\d+)</span>', cell.group(1)) if cell else []
    assert set(shown) == set(rows)
    expected = [("Counter", str(c["total"])) for c in rows[POINT]["channels"] if c["channel"] == "counter"]
    assert shown[POINT][: len(expected)] == expected
    assert shown[POINT][len(expected) :] == [("Phone", "5"), ("Web", "9")]  # WEB_AND_PHONE
    for point, row in rows.items():  # a counter with its kiosk's ratings only: no breakdown to read
        if [c["channel"] for c in row["channels"]] in ([], ["counter"]):
            assert shown[point] == [], point
