"""The fake's expansions against the ones Grafana's own tests expect (macros_test.go, sql_engine.go)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.dashboards.grafana_macros import ALL, Request, expand, format_interval

START = datetime(2018, 4, 12, 18, 0, tzinfo=UTC)
END = datetime(2018, 4, 12, 18, 5, tzinfo=UTC)


def test_time_macros() -> None:
    request = Request(START, END)
    assert expand("WHERE $__timeFilter(time_column)", [], request) == (
        "WHERE time_column BETWEEN '2018-04-12T18:00:00Z' AND '2018-04-12T18:05:00Z'"
    )
    assert expand("$__timeFrom() $__timeTo()", [], request) == "'2018-04-12T18:00:00Z' '2018-04-12T18:05:00Z'"
    assert expand("GROUP BY $__timeGroup(time_column,'5m')", [], request) == (
        "GROUP BY floor(extract(epoch from time_column)/300)*300"
    )
    assert expand("$__timeGroupAlias(time_column,'5m')", [], request) == (
        'floor(extract(epoch from time_column)/300)*300 AS "time"'
    )
    timescale = Request(START, END, timescaledb=True)
    assert expand("$__timeGroup(time_column, '5m')", [], timescale) == "time_bucket('300.000s',time_column)"


def test_interval() -> None:
    assert [format_interval(timedelta(seconds=s)) for s in (30, 60, 3600, 86400, 5400)] == [
        "30s",
        "1m",
        "1h",
        "1d",
        "90m",
    ]
    assert expand("$__timeGroupAlias(t, $__interval) $__interval_ms", [], Request(START, END, timedelta(hours=1))) == (
        'floor(extract(epoch from t)/3600)*3600 AS "time" 3600000'
    )


def test_variables_multi_all_and_single() -> None:
    multi = {"name": "site", "multi": True, "includeAll": True, "allValue": "'__all'"}
    plain_all = {"name": "org", "multi": True, "includeAll": True}
    single = {"name": "sp", "multi": False, "includeAll": False}
    definitions = [multi, plain_all, single]
    sql = "IN ($site) IN (${org}) = '$sp' [[site]]"
    request = Request(START, END, chosen={"site": ["a", "o'b"], "org": ALL, "sp": "x'y"})
    assert expand(sql, definitions, request, {"org": ["one", "two"]}) == (
        "IN ('a','o''b') IN ('one','two') = 'x''y' 'a','o''b'"
    )
    assert expand("IN ($site)", definitions, Request(START, END)) == "IN ('__all')"
