"""Each page's JSON twin holds exactly what the API answers for the same key and filters: the board and the
API cannot disagree (flags, intervals, counts, scope, reader resolution)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any, get_args
from zoneinfo import ZoneInfo

import pytest

from collector.api.routes.kiosks import IdentityConflict
from collector.board.texts import CONFLICT_REASONS
from dashboards import texts as dashboard_texts
from i18n import translator
from i18n.manager import FLAGS, KIOSK_CONNECTION
from tests.fixtures.fix_board import BAD, Board


def without(answer: Any, *keys: str) -> Any:
    return {k: v for k, v in answer.items() if k not in keys}


def overview(answer: Any) -> Any:
    """An overview without what depends on the instant it was asked: `generated_at`, and the end of a
    period that runs until then (an admin key's target window ends now)."""
    now = datetime.fromisoformat(answer["generated_at"])
    rows = [
        {
            **r,
            "period": {
                **r["period"],
                "end": "now" if datetime.fromisoformat(r["period"]["end"]) == now else r["period"]["end"],
            },
        }
        for r in answer["rows"]
    ]
    return {**without(answer, "generated_at"), "rows": rows}


def twin(board: Board, path: str, **params: str) -> Any:
    response = board.client.get(path, params={**params, "format": "json"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    return response.json()


@pytest.mark.parametrize("role", ["admin", "reader", "bound_reader"])
@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"org": "comune"},
        {"org": "comune", "site": "comune-nord"},
        {"org": "comune", "service": "anagrafe"},
        {"channel": "counter"},
        {"org": "comune", "period": "30d"},
        {"org": "comune", "period": "custom", "from": "2026-01-01", "until": "2026-12-31"},
        # The form as a browser sends it, every other choice left at "All": empty fields mean no filter.
        {
            "org": "comune",
            "site": "comune-nord",
            "service": "",
            "channel": "",
            "period": "window",
            "from": "",
            "until": "",
        },
    ],
)
def test_overview_twin_is_the_apis_overview(board: Board, role: str, filters: dict[str, str]) -> None:
    token = getattr(board, role)
    board.signed_in(token)
    page = twin(board, "/board", **filters)
    api_params = {k: v for k, v in filters.items() if k in ("org", "site", "service", "channel") and v}
    today = datetime.now(UTC).astimezone(ZoneInfo("Europe/Rome")).date()
    if filters.get("period") == "30d":
        api_params.update({"from": str(today - timedelta(days=29)), "to": str(today + timedelta(days=1))})
    if filters.get("period") == "custom":
        api_params.update({"from": "2026-01-01", "to": "2027-01-01"})
    api = board.api("/v1/overview", token, limit="100", **api_params)
    assert overview(page["overview"]) == overview(api)
    assert page["overview"]["rows"], "the world has ratings to show"
    if not filters or filters == {"channel": "counter"}:
        orgs = {r["organisation"] for r in page["overview"]["rows"]}
        assert orgs == ({"comune"} if role == "bound_reader" else {"comune", "asl"})


@pytest.mark.parametrize("path", ["/board", "/board/fleet", "/board/enrolment"])
def test_a_filter_that_is_not_an_id_is_refused_not_a_crash(board: Board, path: str) -> None:
    board.signed_in(board.admin)
    assert board.client.get(path, params={"org": "", "site": ""}).status_code == 200  # "All": no filter
    assert board.client.get(path, params={"org": "Not an id"}).status_code == 422


@pytest.mark.parametrize("role", ["admin", "reader"])
def test_service_point_twin_is_the_apis_answers(board: Board, role: str) -> None:
    token = getattr(board, role)
    board.signed_in(token)
    page = twin(board, f"/board/service-points/{BAD}", period="30d")
    a, b = page["period"]["start"], page["period"]["end"]
    dates = {"from": a, "to": b}
    assert page["summary"] == board.api(f"/v1/service-points/{BAD}/summary", token, **dates)
    assert page["series"] == board.api(f"/v1/service-points/{BAD}/series", token, grain="day", **dates)
    assert page["hour_weekday"] == board.api(f"/v1/service-points/{BAD}/hour-weekday", token, **dates)
    ranking = board.api("/v1/organisations/comune/reasons/ranking", token, service_point=BAD, **dates)
    assert page["reasons"] == ranking
    kiosks = board.api("/v1/kiosks", token, service_point=BAD)
    assert [without(k, "silent_for_s") for k in page["kiosks"]] == [without(k, "silent_for_s") for k in kiosks]
    assert page["summary"]["flag"]["state"] == "below_target"


def test_the_default_period_is_the_targets_window(board: Board) -> None:
    board.signed_in(board.admin)
    page = twin(board, f"/board/service-points/{BAD}")
    window = page["summary"]["target"]["window_days"]
    start, end = (datetime.fromisoformat(page["period"][k]).date() for k in ("start", "end"))
    assert (end - start).days == window
    assert end == datetime.now(UTC).astimezone(ZoneInfo("Europe/Rome")).date() + timedelta(days=1)


def test_fleet_twin_is_the_apis_answers(board: Board) -> None:
    board.signed_in(board.bound_reader)
    page = twin(board, "/board/fleet")
    kiosks = board.api("/v1/kiosks", board.bound_reader)
    assert [without(k, "silent_for_s") for k in page["kiosks"]] == [without(k, "silent_for_s") for k in kiosks]
    assert {k["organisation"] for k in page["kiosks"]} == {"comune"}
    quarantine = board.api("/v1/quarantine/reasons", board.bound_reader, days="7")
    assert without(page["quarantine"], "since") == without(quarantine, "since")
    conflicts = {k["id"]: k["identity_conflict"] for k in page["kiosks"] if k["identity_conflict"]}
    assert list(conflicts) == ["comune-anagrafe-2-k1"]
    board.client.cookies.clear()
    board.signed_in(board.admin)
    html = board.client.get("/board/fleet?org=comune", headers={"Accept-Language": "en"}).text
    assert "two devices heard at once" in html
    rows = re.findall(r'<tr class="kiosk-(\w+)">\s*<th scope="row"[^>]*>([\w-]+)', html)
    assert rows[:3] == [
        ("offline", "comune-cie-1-k1"),
        ("online", "comune-anagrafe-2-k1"),
        ("unknown", "comune-urp-k1"),
    ]
    states = {k["id"]: k["online"] for k in page["kiosks"]}
    assert states["comune-cie-1-k1"] is False
    assert states["comune-urp-k1"] is None


@pytest.mark.parametrize("org", ["comune", "asl"])
def test_enrolment_twin_is_the_apis_answers(board: Board, org: str) -> None:
    board.signed_in(board.admin)
    page = twin(board, "/board/enrolment", org=org)
    assert page["organisation"]["id"] == org
    assert page["codes"] == board.api(f"/v1/organisations/{org}/enrolment-codes", board.admin)
    assert page["service_points"] == board.api(f"/v1/organisations/{org}/service-points", board.admin)
    assert page["services"] == board.api(f"/v1/organisations/{org}/services", board.admin)
    kiosks = board.api("/v1/kiosks", board.admin, org=org)
    assert [k["id"] for k in page["kiosks"]] == [k["id"] for k in kiosks]  # the ones a code may replace
    assert page["organisations"] == board.api("/v1/organisations", board.admin)


def test_every_identity_conflict_reason_of_the_api_has_words() -> None:
    reasons = get_args(IdentityConflict.model_fields["reason"].annotation)
    assert sorted(CONFLICT_REASONS) == sorted(reasons)


def test_flags_and_connections_have_one_name_on_the_board_and_in_grafana(board: Board) -> None:
    italian, english = translator("it"), translator("en")
    assert italian(FLAGS["on_target"]) == "In obiettivo"  # "In linea" read as "online" to a manager
    board.signed_in(board.admin)
    html = board.client.get("/board?org=comune", headers={"Accept-Language": "it"}).text
    for name in FLAGS.values():  # the fixture has a service point of each
        assert f"<span>{italian(name)}</span>" in html or f">{italian(name)}<" in html, name
    assert "in linea" not in html.lower()
    assert {state: f"{italian(name)} / {english(name)}" for state, name in FLAGS.items()} == dashboard_texts.FLAGS
    connection = {state: f"{italian(name)} / {english(name)}" for state, name in KIOSK_CONNECTION.items()}
    assert connection == dashboard_texts.KIOSK_STATES
    fleet = board.client.get("/board/fleet?org=comune", headers={"Accept-Language": "it"}).text
    assert fleet.count(f"<span>{italian(KIOSK_CONNECTION['unknown'])}</span>") == 1  # heard, but no status yet
