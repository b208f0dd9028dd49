"""Every alert rule's SQL, expanded as Grafana expands it, on known recent data: the below-target rule
fires for the service point the API flags over its target's window, and for no other."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import psycopg

from collector.alerts.evaluate import evaluate
from collector.config import CollectorSettings
from collector.store import kiosk_events
from dashboards import alerts
from tests.api.known_data import many, store
from tests.dashboards.grafana_macros import Request
from tests.dashboards.panels import run_sql
from tests.fixtures.fix_api import Api


def _sql(uid: str) -> tuple[str, int]:
    (rule,) = [r for r in alerts.rules("http://localhost:8000") if r["uid"] == uid]
    query = rule["data"][0]
    return query["model"]["rawSql"], query["relativeTimeRange"]["from"]


def _evaluate(database_url: str, uid: str) -> list[dict[str, object]]:
    sql, seconds = _sql(uid)
    now = datetime.now(UTC)
    return run_sql(database_url, sql, [], Request(now - timedelta(seconds=seconds), now)).dicts()


def test_below_target_fires_where_the_api_flags(api: Api) -> None:
    two_days_ago = (datetime.now(UTC) - timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    presses = many(two_days_ago, {"positive": 40, "neutral": 20, "negative": 40}, service_point="bad", kiosk="kb")
    presses += many(two_days_ago, {"positive": 95, "negative": 5}, service_point="good", kiosk="kg")
    presses += many(two_days_ago, {"negative": 5}, service_point="tiny", kiosk="kt")
    store(api.database_url, presses)
    fired = {str(r["service_point"]): r["below_target"] for r in _evaluate(api.database_url, "mlf-below-target")}
    assert fired == {"bad": 1, "good": 0, "tiny": 0}
    flags = {r["service_point"]: r["flag"]["state"] for r in api.get("/v1/overview")["rows"]}
    assert {sp for sp, state in flags.items() if state == "below_target"} == {"bad"}
    # A service point's own, laxer target silences it, as it does in the API.
    api.put("/v1/organisations/org/targets/service-points/bad", {"min_green_share": 0.3, "max_red_share": 0.5})
    assert {r["service_point"]: r["below_target"] for r in _evaluate(api.database_url, "mlf-below-target")}["bad"] == 0


def test_kiosk_silent_and_quarantine_spike(api: Api) -> None:
    day = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=1)
    store(api.database_url, many(day, {"positive": 1}, kiosk="k-1") + many(day, {"positive": 1}, kiosk="k-2"))
    with psycopg.connect(api.database_url) as conn:
        conn.execute(
            "INSERT INTO quarantine (received_at, topic, payload, payload_size, reason, detail)"
            " SELECT now() - i * interval '10 seconds', 'mlf/v1/org/k-9/rating', ''::bytea, 0, 'invalid_payload', ''"
            " FROM generate_series(1, 25) AS i"
            " UNION ALL SELECT now() - interval '1 hour', 'x', ''::bytea, 0, 'bad_topic', ''"
        )
    assert [r["silent_open_s"] for r in _evaluate(api.database_url, "mlf-kiosk-silent")] == [0, 0]
    # The collector's evaluation decides (silence in opening hours: tests/alerts/test_kiosk_silent.py).
    settings = CollectorSettings(database_url=api.database_url)
    asyncio.run(_evaluate_alerts(api.database_url, settings))
    silent = {r["kiosk"]: r["silent_open_s"] for r in _evaluate(api.database_url, "mlf-kiosk-silent")}
    assert set(silent) == {"k-1", "k-2"}
    assert all(float(v) > alerts.SILENT_AFTER_S for v in silent.values())  # type: ignore[arg-type]
    with psycopg.connect(api.database_url) as conn:
        conn.execute("UPDATE kiosks SET last_seen_at = now() WHERE id = 'k-2'")  # heard again
    asyncio.run(_evaluate_alerts(api.database_url, settings))
    silent = {r["kiosk"]: r["silent_open_s"] for r in _evaluate(api.database_url, "mlf-kiosk-silent")}
    assert silent["k-2"] == 0
    assert float(silent["k-1"]) > 0  # type: ignore[arg-type]
    spikes = _evaluate(api.database_url, "mlf-quarantine-spike")
    assert spikes == [{"reason": "invalid_payload", "messages": 25.0}]  # the old one is outside the window


def test_identity_conflict_fires_while_the_collector_says_so(api: Api) -> None:
    day = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
    store(api.database_url, many(day, {"positive": 1}, kiosk="k-1") + many(day, {"positive": 1}, kiosk="k-2"))
    with psycopg.connect(api.database_url) as conn:
        kiosk_events.record(conn, [("k-1", "org", kiosk_events.IDENTITY_CONFLICT, {"reason": "two_instances"})])
    settings = CollectorSettings(database_url=api.database_url)
    asyncio.run(_evaluate_alerts(api.database_url, settings))
    fired = {r["kiosk"]: r["identity_conflict"] for r in _evaluate(api.database_url, "mlf-identity-conflict")}
    assert fired == {"k-1": 1, "k-2": 0}
    with psycopg.connect(api.database_url) as conn:
        kiosk_events.record(conn, [("k-1", "org", kiosk_events.IDENTITY_CONFLICT_CLEARED, {})])
    asyncio.run(_evaluate_alerts(api.database_url, settings))
    fired = {r["kiosk"]: r["identity_conflict"] for r in _evaluate(api.database_url, "mlf-identity-conflict")}
    assert fired == {"k-1": 0, "k-2": 0}


async def _evaluate_alerts(database_url: str, settings: CollectorSettings) -> None:
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        await evaluate(conn, settings, datetime.now(UTC))
