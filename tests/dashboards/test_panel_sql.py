"""Every panel's SQL, expanded as Grafana expands it, on known data in a real PostgreSQL: columns, values,
and the same flags, counts, intervals and order as the API for the same data."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from dashboards import alerts, generate, texts
from protocol import Channel
from tests.api.known_data import many, mark_misuse, press, store
from tests.dashboards.grafana_macros import ALL, Request, expand
from tests.dashboards.panels import Result, board, run, run_sql
from tests.fixtures.fix_api import Api

ROME = ZoneInfo("Europe/Rome")
MARCH = Request(datetime(2025, 3, 1, tzinfo=ROME), datetime(2025, 4, 1, tzinfo=ROME))
PERIOD = {"from": "2025-03-01", "to": "2025-04-01"}
b = texts.both
STATE, CODE, N = b("Stato", "State"), b("Codice", "Code"), b("Valutazioni", "Ratings")


@pytest.fixture
def known(api: Api) -> Api:
    """Monday 3 March 2025 from 09:00 (Rome): "good" mostly green (3 of its presses misuse), "bad" at 40%
    green and 40% red for the service "tributi", with reasons, "tiny" with five red faces only."""
    day = datetime(2025, 3, 3, 9, 0, tzinfo=ROME)
    good = many(day, {"positive": 90, "neutral": 5, "negative": 5}, service_point="good", kiosk="k-good")
    bad = many(day, {"positive": 40, "neutral": 20}, service_point="bad", kiosk="k-bad", service="tributi")
    bad += [
        press(day.replace(minute=40), "negative", service_point="bad", kiosk="k-bad", service="tributi", reason=reason)
        for reason in ["attesa"] * 25 + ["cortesia"] * 10 + [None] * 5
    ]
    tiny = many(day, {"negative": 5}, service_point="tiny", kiosk="k-tiny")
    ratings = store(api.database_url, good + bad + tiny)
    mark_misuse(api.database_url, ratings[:3])
    with psycopg.connect(api.database_url) as conn:
        conn.execute(
            "INSERT INTO reasons (org_id, code, label_it, label_en) VALUES"
            " ('org', 'attesa', 'tempo di attesa', 'waiting time'), ('org', 'cortesia', 'cortesia', 'courtesy')"
        )
    return api


def _api_rows(api: Api, **params: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = api.get("/v1/overview", **PERIOD, **params)["rows"]
    return rows


def _percent_interval(share: dict[str, float]) -> str:
    return f"{round(100 * share['low'])}–{round(100 * share['high'])}%"


def _assert_same_as_api(result: Result, api_rows: list[dict[str, Any]]) -> None:
    got = result.dicts()
    assert [r[CODE] for r in got] == [r["service_point"] for r in api_rows]  # the same order, worst first
    for mine, theirs in zip(got, api_rows, strict=True):
        assert mine[STATE] == theirs["flag"]["state"]
        assert mine[N] == theirs["total"]
        assert mine[b("Abusi", "Misuse")] == theirs["misuse"]
        assert mine[b("Verdi", "Green")] == pytest.approx(theirs["shares"]["positive"]["share"])
        assert mine[b("Rossi", "Red")] == pytest.approx(theirs["shares"]["negative"]["share"])
        assert mine[b("Verdi, intervallo 95%", "Green, 95% interval")] == _percent_interval(
            theirs["shares"]["positive"]
        )


def test_overview_flags_the_bad_service_point_first_as_the_api_does(known: Api) -> None:
    result = run(known.database_url, "overview", "Sportelli, dal peggiore", MARCH)
    assert result.column(CODE) == ["bad", "good", "tiny"]
    assert result.column(STATE) == ["below_target", "on_target", "not_enough_data"]
    assert result.column(N) == [100, 97, 5]
    first = result.dicts()[0]
    assert first[b("Perché", "Why")] == "; ".join(texts.FLAG_REASONS.values())
    assert first[b("Obiettivo", "Target")] == "≥ 75% · ≤ 10% · n ≥ 30"
    _assert_same_as_api(result, _api_rows(known))


def test_overview_totals(known: Api) -> None:
    (totals,) = run(known.database_url, "overview", "In sintesi", MARCH).dicts()
    assert totals == {
        b("Sotto obiettivo", "Below target"): 1,
        b("Dati insufficienti", "Not enough data"): 1,
        b("Valutazioni", "Ratings"): 202,
        b("Abusi (esclusi)", "Misuse (excluded)"): 3,
    }


def test_one_service_applies_its_target_and_lists_only_its_service_points(known: Api) -> None:
    known.put("/v1/organisations/org/targets/services/tributi", {"min_green_share": 0.3, "max_red_share": 0.5})
    request = Request(MARCH.start, MARCH.end, chosen={"service": ["tributi"]})
    result = run(known.database_url, "overview", "Sportelli, dal peggiore", request)
    assert result.column(STATE) == ["on_target"]
    _assert_same_as_api(result, _api_rows(known, service="tributi"))
    # Two services: no single service target applies, the default does again.
    request = Request(MARCH.start, MARCH.end, chosen={"service": ["tributi", "anagrafe"]})
    assert run(known.database_url, "overview", "Sportelli, dal peggiore", request).column(STATE) == ["below_target"]


def test_multi_value_and_all_filters(known: Api) -> None:
    def codes(**chosen: Any) -> list[str]:
        request = Request(MARCH.start, MARCH.end, chosen=chosen)
        return list(run(known.database_url, "overview", "Sportelli, dal peggiore", request).column(CODE))

    assert codes(org=ALL, site=ALL, service=ALL, channel=ALL) == ["bad", "good", "tiny"]
    assert codes(org=["org", "elsewhere"]) == ["bad", "good", "tiny"]
    assert codes(org=["elsewhere"]) == []
    assert codes(channel=["phone", "web"]) == []
    assert codes(channel=["counter"]) == ["bad", "good", "tiny"]
    assert codes(site=["sede-centrale"]) == []  # no service point has a site yet
    with psycopg.connect(known.database_url) as conn:
        conn.execute("INSERT INTO sites (id, org_id, name) VALUES ('sede-centrale', 'org', 'Sede centrale')")
        conn.execute("UPDATE service_points SET site_id = 'sede-centrale' WHERE id IN ('good', 'tiny')")
    assert codes(site=["sede-centrale"]) == ["good", "tiny"]


def test_hours_wholly_inside_the_range(known: Api) -> None:
    """From 09:30 the 09:00 hour is left out (as for a reader key of the API); to 10:00 it is all in."""
    request = Request(datetime(2025, 3, 3, 9, 30, tzinfo=ROME), datetime(2025, 3, 3, 12, 0, tzinfo=ROME))
    assert run(known.database_url, "overview", "Sportelli, dal peggiore", request).column(N) == [0, 0, 0]
    request = Request(datetime(2025, 3, 3, 9, 0, tzinfo=ROME), datetime(2025, 3, 3, 10, 0, tzinfo=ROME))
    assert run(known.database_url, "overview", "Sportelli, dal peggiore", request).column(N) == [100, 97, 5]


def test_service_point_board(known: Api) -> None:
    request = Request(MARCH.start, MARCH.end, chosen={"service_point": "bad"})
    (head,) = run(known.database_url, "service-point", "Lo sportello nel periodo", request).dicts()
    assert head[STATE] == "below_target"
    assert head[N] == 100
    (day,) = run(known.database_url, "service-point", "Andamento dei verdi rispetto all'obiettivo", request).dicts()
    (api_row,) = [r for r in _api_rows(known) if r["service_point"] == "bad"]
    assert day["time"] == datetime(2025, 3, 3, tzinfo=ROME)
    assert day[b("Verdi", "Green")] == pytest.approx(0.4)
    assert day[b("Minimo 95%", "Low 95%")] == pytest.approx(api_row["shares"]["positive"]["low"])
    assert day[b("Massimo 95%", "High 95%")] == pytest.approx(api_row["shares"]["positive"]["high"])
    assert day[b("Obiettivo", "Target")] == 0.75
    faces = run(known.database_url, "service-point", "Facce nel tempo", request)
    assert faces.columns[0] == "time"
    totals = {name: sum(faces.column(name)) for name in faces.columns[1:]}
    assert totals == {
        b("Verdi", "Green"): 40,
        b("Gialli", "Yellow"): 20,
        b("Rossi", "Red"): 40,
        b("Abusi", "Misuse"): 0,
    }
    green = run(known.database_url, "service-point", "Verdi per ora e giorno (%)", request)
    assert len(green.rows) == 24
    monday = dict(zip(green.column(b("Ora", "Hour")), green.column(texts.WEEKDAYS[0]), strict=True))
    assert monday["09:00"] == 40
    assert monday["10:00"] is None
    assert all(v is None for v in green.column(texts.WEEKDAYS[6]))
    volume = run(known.database_url, "service-point", "Valutazioni per ora e giorno", request)
    assert sum(v or 0 for v in volume.column(texts.WEEKDAYS[0])) == 100
    reasons = run(known.database_url, "service-point", "Motivi dei rossi, in ordine", request).dicts()
    assert [(r[b("Motivo", "Reason")], r[b("Valutazioni rosse", "Red ratings")]) for r in reasons] == [
        ("tempo di attesa / waiting time", 25),
        ("cortesia / courtesy", 10),
    ]
    assert reasons[0][b("Quota", "Share")] == pytest.approx(25 / 35)
    (kiosk,) = run(known.database_url, "service-point", "I suoi chioschi", request).dicts()
    assert kiosk[b("Chiosco", "Kiosk")] == "k-bad"
    assert kiosk[STATE] == "unknown"  # no status message yet: never reported


def test_monthly_view_judges_the_month_as_the_api_does(known: Api) -> None:
    request = Request(datetime(2025, 1, 1, tzinfo=ROME), datetime(2025, 5, 1, tzinfo=ROME))
    result = run(known.database_url, "monthly", "Mese per mese, per sportello", request)
    assert set(result.column(b("Mese", "Month"))) == {"2025-03"}
    _assert_same_as_api(result, _api_rows(known))
    (month,) = run(known.database_url, "monthly", "Facce per mese", request).dicts()
    assert month["time"] == datetime(2025, 3, 1, tzinfo=ROME)
    assert month[b("Verdi", "Green")] == 40 + 87
    reasons = run(known.database_url, "monthly", "Motivi dei rossi per mese", request).dicts()
    assert [r[b("Valutazioni rosse", "Red ratings")] for r in reasons] == [25, 10]
    filtered = Request(request.start, request.end, chosen={"service": ["tributi"]})  # from rollup_monthly
    assert run(known.database_url, "monthly", "Mese per mese, per sportello", filtered).column(CODE) == ["bad"]


def test_fleet_board(known: Api) -> None:
    with psycopg.connect(known.database_url) as conn:
        conn.execute("UPDATE kiosks SET online = false WHERE id = 'k-tiny'")
        conn.execute("UPDATE kiosks SET online = true WHERE id = 'k-good'")
        conn.execute(
            "INSERT INTO quarantine (received_at, topic, payload, payload_size, reason, detail, kiosk_id) VALUES"
            " ('2025-03-03 09:10+01', 'mlf/v1/org/k-bad/rating', '', 0, 'invalid_payload', '', 'k-bad'),"
            " ('2025-03-03 09:20+01', 'mlf/v1/org/k-bad/rating', '', 0, 'invalid_payload', '', 'k-bad'),"
            " ('2025-03-03 09:30+01', 'mlf/v1/other/x/rating', '', 0, 'unknown_kiosk', '', NULL)"
        )
    request = Request(datetime(2025, 3, 3, tzinfo=ROME), datetime(2025, 3, 4, tzinfo=ROME), interval=_hour())
    kiosks = run(known.database_url, "fleet", "Chioschi, i più silenziosi prima", request)
    assert kiosks.column(b("Chiosco", "Kiosk")) == ["k-bad", "k-tiny", "k-good"]  # never reported, offline, online
    assert kiosks.column(STATE) == ["unknown", "offline", "online"]
    (counts,) = run(known.database_url, "fleet", "La flotta adesso", request).dicts()
    assert counts[b("Collegati", "Online")] == 1
    assert counts[b("Scollegati", "Offline")] == 1
    reasons = run(known.database_url, "fleet", "Quarantena per motivo", request)
    assert list(zip(reasons.column(b("Motivo", "Reason")), reasons.column(b("Messaggi", "Messages")), strict=True)) == [
        ("invalid_payload", 2),
        ("unknown_kiosk", 1),
    ]
    only_org = Request(request.start, request.end, chosen={"org": ["org"]})
    assert run(known.database_url, "fleet", "Quarantena per motivo", only_org).column(b("Messaggi", "Messages")) == [2]
    series = run(known.database_url, "fleet", "Quarantena nel tempo", request)
    assert series.columns == ["time", "metric", "value"]
    assert sum(series.column("value")) == 3


def _hour() -> timedelta:
    return timedelta(hours=1)


SELECTIONS = [
    {},
    {"org": ["org", "o'quote"], "site": ["sede"], "service": ["tributi", "anagrafe"], "channel": ["counter", "web"]},
    {"org": ALL, "site": ALL, "service": ["tributi"], "channel": ALL},
]


@pytest.mark.parametrize("chosen", SELECTIONS)
@pytest.mark.parametrize("name", sorted(generate.BOARDS))
def test_every_panel_and_variable_runs(known: Api, name: str, chosen: dict[str, Any]) -> None:
    """Each panel and each variable query of the board runs and names its columns, whatever the selection."""
    dashboard = board(name)
    definitions = dashboard["templating"]["list"]
    request = Request(MARCH.start, MARCH.end, chosen={**chosen, "service_point": "bad"})
    for panel in dashboard["panels"]:
        result = run_sql(known.database_url, panel["targets"][0]["rawSql"], definitions, request)
        assert result.columns, panel["title"]
        assert all(len(c.encode()) < 63 for c in result.columns), "PostgreSQL cuts names at 63 bytes"
        if panel["targets"][0]["format"] == "time_series":
            assert result.columns[0] == "time", panel["title"]
    for variable in definitions:
        values = run_sql(known.database_url, variable["query"], definitions, request)
        assert values.columns == ["__value", "__text"], variable["name"]


def test_variables_list_what_there_is(known: Api) -> None:
    definitions = board("service-point")["templating"]["list"]

    def values(variable: str) -> list[str]:
        (query,) = [d["query"] for d in definitions if d["name"] == variable]
        return sorted(str(v) for v in run_sql(known.database_url, query, definitions, MARCH).column("__value"))

    assert values("org") == ["org"]
    assert values("channel") == sorted(c.value for c in Channel)  # every channel, rated yet or not
    assert values("service_point") == ["bad", "good", "tiny"]


def test_improvement_actions_are_annotations_on_their_service_points_board(known: Api) -> None:
    action = {"taken_on": "2025-03-10", "role": "responsabile ufficio", "description": "Secondo sportello"}
    known.post("/v1/organisations/org/actions", {**action, "service_point": "bad", "expected_effect": "meno attesa"})
    known.post("/v1/organisations/org/actions", {**action, "service_point": "good"})
    known.post("/v1/organisations/org/actions", {**action, "service_point": "bad", "taken_on": "2025-05-01"})
    (query,) = board("service-point")["annotations"]["list"]
    request = Request(MARCH.start, MARCH.end, chosen={"service_point": "bad"})
    found = run_sql(known.database_url, query["target"]["rawSql"], board("service-point")["templating"]["list"],
                    request).dicts()  # fmt: skip
    assert found == [{"time": datetime(2025, 3, 10, tzinfo=ROME), "text": "responsabile ufficio: Secondo sportello "
                      "(meno attesa)", "tags": "azione di miglioramento / improvement action"}]  # fmt: skip


def test_the_readmes_read_only_role_can_run_every_panel_and_rule(known: Api) -> None:
    """dashboards/README.md's grants are enough for every panel, variable and alert rule, and nothing more."""
    readme = (Path(generate.HERE) / "README.md").read_text()
    grants = readme.split("```sql\n", 1)[1].split("```", 1)[0]
    with psycopg.connect(known.database_url, autocommit=True) as conn:
        conn.execute("DROP ROLE IF EXISTS mlf_grafana")  # roles are cluster-wide: another test may have made it
        conn.execute(grants.encode())
    url = known.database_url
    statements = [
        (panel["targets"][0]["rawSql"], board(name)["templating"]["list"])
        for name in generate.BOARDS
        for panel in board(name)["panels"]
    ]
    statements += [(rule["data"][0]["model"]["rawSql"], []) for rule in alerts.rules("http://x")]
    statements += [
        (query["target"]["rawSql"], board(name)["templating"]["list"])
        for name in generate.BOARDS
        for query in board(name).get("annotations", {}).get("list", [])
        if "target" in query
    ]
    for sql, definitions in statements:
        with psycopg.connect(url) as conn, conn.cursor() as cur:
            cur.execute("SET ROLE mlf_grafana")
            cur.execute(
                expand(sql, definitions, Request(MARCH.start, MARCH.end, chosen={"service_point": "bad"})).encode()
            )
    with psycopg.connect(url) as conn:
        conn.execute("SET ROLE mlf_grafana")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT * FROM api_keys")
    with psycopg.connect(make_conninfo(url, user="mlf_grafana")) as grafana:  # as Grafana logs in (loopback: trust)
        assert grafana.execute("SHOW jit").fetchone() == ("off",)
