"""Every alert rule's SQL, expanded as Grafana expands it, on known recent data: the below-target rule
fires for the service point the API flags over its target's window, and for no other."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg

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
    store(api.database_url, many(datetime.now(UTC) - timedelta(hours=1), {"positive": 1}, kiosk="k-1"))
    with psycopg.connect(api.database_url) as conn:
        conn.execute("UPDATE kiosks SET last_seen_at = now() - interval '20 minutes' WHERE id = 'k-1'")
        conn.execute(
            "INSERT INTO quarantine (received_at, topic, payload, payload_size, reason, detail)"
            " SELECT now() - i * interval '10 seconds', 'mlf/v1/org/k-9/rating', ''::bytea, 0, 'invalid_payload', ''"
            " FROM generate_series(1, 25) AS i"
            " UNION ALL SELECT now() - interval '1 hour', 'x', ''::bytea, 0, 'bad_topic', ''"
        )
    (silent,) = _evaluate(api.database_url, "mlf-kiosk-silent")
    assert silent["kiosk"] == "k-1"
    assert 20 * 60 <= float(silent["silent_s"]) < 21 * 60  # type: ignore[arg-type]
    assert float(silent["silent_s"]) > alerts.SILENT_AFTER_S  # type: ignore[arg-type]
    spikes = _evaluate(api.database_url, "mlf-quarantine-spike")
    assert spikes == [{"reason": "invalid_payload", "messages": 25.0}]  # the old one is outside the window
