"""The board's access matrix: every board route x who signed in (an admin or reader key, bound to the town hall
or to nothing; an ingest key, which cannot sign in; nobody) x an object of the town hall, of the health
authority, or no organisation named. The board's routes are kept out of the OpenAPI document, so this is
their equivalent of tests/api/test_access_matrix.py: a new board route without its row here fails
`test_every_board_route_has_a_row`.

The board follows the API's rule: a bound key naming another organisation gets 403, another organisation's
object 404, lists hold its own organisation only. Without a session a page sends the browser to the
sign-in page (303) and its JSON twin answers 401.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from collector.board import ROUTERS
from tests.fixtures.fix_board import Board

OWN, OTHER = "comune", "asl"
POINT = {OWN: "comune-anagrafe-1", OTHER: "asl-cup-1"}
PUBLIC = ("admin", "reader", "ingest", None)
SIGNED_IN = ("admin", "reader")


@dataclass(frozen=True)
class Rule:
    roles: tuple[str | None, ...]
    path: Callable[[str | None], str]
    ok: int = 200
    other: int | None = 403
    """What a key bound to the town hall gets for the other organisation's object; None: names none."""
    unnamed: bool = False
    """The organisation may be left out: a bound key then sees its own only."""
    sees: Callable[[Any], set[str]] | None = None
    method: str = "GET"


def _page(path: str) -> Callable[[str | None], str]:
    def build(org: str | None) -> str:
        query = f"org={org}&" if org else ""
        return f"{path}?{query}format=json"

    return build


RULES: dict[tuple[str, str], Rule] = {
    ("GET", "/board"): Rule(
        SIGNED_IN, _page("/board"), unnamed=True, sees=lambda b: {r["organisation"] for r in b["overview"]["rows"]}
    ),
    ("GET", "/board/service-points/{sp_id}"): Rule(
        SIGNED_IN, lambda org: f"/board/service-points/{POINT[org or OWN]}?format=json", other=404
    ),
    ("POST", "/board/organisations/{org}/service-points/{sp_id}/rating-link"): Rule(
        ("admin",),
        lambda org: f"/board/organisations/{org}/service-points/{POINT[org or OWN]}/rating-link?format=json",
        ok=303,
        method="POST",
    ),
    ("GET", "/board/organisations/{org}/rating-links/{link_id}/poster.pdf"): Rule(
        SIGNED_IN, lambda org: f"/board/organisations/{org}/rating-links/{'x' * 22}/poster.pdf?format=json", ok=404
    ),
    ("GET", "/board/fleet"): Rule(
        SIGNED_IN, _page("/board/fleet"), unnamed=True, sees=lambda b: {k["organisation"] for k in b["kiosks"]}
    ),
    ("GET", "/board/enrolment"): Rule(
        ("admin",),
        _page("/board/enrolment"),
        sees=lambda b: {b["organisation"]["id"]} | {c["organisation"] for c in b["codes"]},
    ),
    ("POST", "/board/organisations/{org}/enrolment-codes"): Rule(  # an empty form: refused by the form, after scope
        ("admin",), lambda org: f"/board/organisations/{org}/enrolment-codes?format=json", ok=422, method="POST"
    ),
    ("POST", "/board/organisations/{org}/enrolment-codes/{code_id}/revoke"): Rule(
        ("admin",),
        lambda org: f"/board/organisations/{org}/enrolment-codes/999999/revoke?format=json",
        ok=404,
        method="POST",
    ),
    ("GET", "/board/sign-in"): Rule(PUBLIC, lambda org: "/board/sign-in", other=None),
    ("POST", "/board/sign-in"): Rule(PUBLIC, lambda org: "/board/sign-in", ok=401, other=None, method="POST"),
    ("POST", "/board/sign-out"): Rule(PUBLIC, lambda org: "/board/sign-out", ok=303, other=None, method="POST"),
    ("GET", "/board/language/{lang}"): Rule(PUBLIC, lambda org: "/board/language/en?next=/board", ok=303, other=None),
    ("GET", "/board/static/{name}"): Rule(PUBLIC, lambda org: "/board/static/board.css", other=None),
}


def test_every_board_route_has_a_row() -> None:
    routes = {(method, route.path) for router in ROUTERS for route in router.routes for method in route.methods}  # type: ignore[attr-defined]
    assert routes == set(RULES), f"missing: {sorted(routes - set(RULES))}; gone: {sorted(set(RULES) - routes)}"


def expected(rule: Rule, role: str | None, bound: bool, org: str | None) -> int:
    if role not in rule.roles:
        return 403 if role in SIGNED_IN else 401  # no session: ingest keys cannot sign in
    if bound and org == OTHER and rule.other is not None:
        return rule.other
    return rule.ok


@pytest.mark.parametrize(("method", "path"), sorted(RULES))
def test_board_access(board: Board, method: str, path: str) -> None:
    rule = RULES[(method, path)]
    keys = {
        ("admin", False): board.admin,
        ("reader", False): board.reader,
        ("reader", True): board.bound_reader,
        ("admin", True): _key(board, "admin", OWN),
        ("ingest", False): _key(board, "ingest", None),
        ("ingest", True): _key(board, "ingest", OWN),
    }
    wrong = []
    for (role, bound), token in [*keys.items(), ((None, False), None)]:
        board.client.cookies.clear()
        if token is not None:
            signed = board.client.post("/board/sign-in", data={"key": token}, follow_redirects=False)
            assert signed.status_code == (303 if role in SIGNED_IN else 401), signed.text[:200]
        targets: list[str | None] = (
            [None] if rule.other is None else [OWN, OTHER, None] if rule.unnamed else [OWN, OTHER]
        )
        for org in targets:
            response = board.client.request(method, rule.path(org), follow_redirects=False)
            want = expected(rule, role, bound, org)
            who = f"{role or 'nobody'} {'bound to ' + OWN if bound else 'unbound'}, {org or 'no'} organisation named"
            if response.status_code != want:
                wrong.append(f"{who}: {response.status_code} (want {want}) {response.text[:160]}")
            elif rule.sees is not None and response.status_code == 200:
                seen = rule.sees(response.json())
                allowed = {OWN} if bound else {org} if org else {OWN, OTHER}
                if seen != allowed:
                    wrong.append(f"{who}: sees organisations {sorted(seen)}")
    assert not wrong, f"{method} {path}:\n" + "\n".join(wrong)


def test_a_page_without_a_session_sends_the_browser_to_sign_in(board: Board) -> None:
    board.client.cookies.clear()
    response = board.client.get("/board/service-points/comune-anagrafe-1?period=7d", follow_redirects=False)
    assert response.status_code == 303
    assert (
        response.headers["location"]
        == "/board/sign-in?next=%2Fboard%2Fservice-points%2Fcomune-anagrafe-1%3Fperiod%3D7d"
    )


def _key(board: Board, role: str, org: str | None) -> str:
    from tests.fixtures.fix_api import make_key

    return make_key(board.database_url, role, org=org, name=f"{role} {org}")
