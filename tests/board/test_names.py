"""People read names: the board shows an organisation, site, service point or service by its name, and the
API's rows the board reads carry those names beside the ids integrators use."""

from __future__ import annotations

import re

from tests.fixtures.fix_board import BAD, Board

SITE_IDS = ("comune-centro", "comune-nord", "asl-sede")


def test_the_overview_over_every_organisation_names_sites_and_organisations(board: Board) -> None:
    rows = {r["service_point"]: r for r in board.api("/v1/overview", board.admin)["rows"]}
    assert (rows[BAD]["site"], rows[BAD]["site_name"]) == ("comune-centro", "Sede centrale")
    assert (rows[BAD]["organisation"], rows[BAD]["organisation_name"]) == ("comune", "Comune di Vallefiorita")
    assert (rows["asl-cup-1"]["site_name"], rows["asl-cup-1"]["organisation_name"]) == (
        "Poliambulatorio",
        "ASL Vallefiorita",
    )
    board.signed_in(board.admin)
    html = board.client.get("/board", headers={"Accept-Language": "it"}).text
    table = html.split('<table class="points">', 1)[1].split("</table>", 1)[0]
    lines = re.findall(r'<span class="sub">([^<]*)</span>\s*</th>', table)
    assert "Sede centrale · Centro · Comune di Vallefiorita" in lines
    assert "Poliambulatorio · Centro · ASL Vallefiorita" in lines
    for site in SITE_IDS:
        assert site not in table, site
    one = board.client.get("/board?org=comune", headers={"Accept-Language": "it"}).text
    assert "Sede centrale · Centro</span>" in one  # one organisation: its name is in the filters, not each row


def test_the_fleet_names_each_kiosks_service_point(board: Board) -> None:
    kiosks = {k["id"]: k for k in board.api("/v1/kiosks", board.admin)}
    assert kiosks[f"{BAD}-k1"]["service_point_name"] == "Tributi, sportello 1"
    board.signed_in(board.admin)
    html = board.client.get("/board/fleet", headers={"Accept-Language": "it"}).text
    assert f'<a href="/board/service-points/{BAD}">Tributi, sportello 1</a>' in html
    assert f">{BAD}</a>" not in html


def test_a_web_page_for_one_service_is_named_by_the_service(board: Board) -> None:
    made = board.client.post(
        "/v1/organisations/comune/rating-links",
        json={"service_point": BAD, "service": "tributi"},
        headers={"Authorization": f"Bearer {board.admin}"},
    )
    assert made.status_code in (200, 201), made.text
    assert made.json()["service_name"] == "Tributi"
    board.signed_in(board.admin)
    html = board.client.get(f"/board/service-points/{BAD}", headers={"Accept-Language": "it"}).text
    assert "Servizio Tributi:" in html
    assert "Servizio tributi:" not in html
