"""An endpoint that fails: its deliveries wait in the outbox and are retried with a doubling backoff, in order,
every attempt logged; after too many failures in a row the subscription is disabled, nothing is lost, and once
enabled again everything waiting arrives once. A mail server that is down is retried the same way."""

from __future__ import annotations

import itertools
import time
from datetime import datetime, timedelta
from typing import Any

from tests.alerts.conftest import Alerting


def _subscription(alerting: Alerting, sub_id: str) -> dict[str, Any]:
    return dict(alerting.get(f"/v1/alerts/subscriptions/{sub_id}"))


def _test_alert(alerting: Alerting, sub_id: str) -> int:
    response = alerting.client.post(f"/v1/alerts/subscriptions/{sub_id}/test", headers=alerting.headers())
    assert response.status_code == 202, response.text
    return int(response.json()["id"])


def _deliveries(alerting: Alerting, sub_id: str) -> list[dict[str, Any]]:
    return list(alerting.get("/v1/alerts/deliveries", subscription=sub_id))


def test_a_failing_webhook_is_retried_with_backoff_disabled_and_loses_nothing(alerting: Alerting) -> None:
    alerting.post("/v1/organisations", {"id": "org", "name": "Comune"})
    hook = alerting.post("/v1/alerts/subscriptions", {"organisation": "org", "webhook": alerting.hook.url})
    alerting.hook.secret = hook["secret"]
    alerting.hook.status = 503
    sent = [_test_alert(alerting, hook["id"]) for _ in range(3)]

    # base 0.2 s, doubled, at most 1 s; disabled after 4 failures in a row
    alerting.wait(lambda: not _subscription(alerting, hook["id"])["enabled"])
    sub = _subscription(alerting, hook["id"])
    assert sub["consecutive_failures"] == 4
    assert sub["disabled_reason"].startswith("4 failures in a row: HTTP 503")
    assert sub["pending"] == 3
    assert alerting.hook.refused == 4
    first, *others = sorted(_deliveries(alerting, hook["id"]), key=lambda d: d["id"])
    assert [d["attempts"] for d in others] == [0, 0]  # in order: the oldest is retried, the rest wait behind it
    assert first["status"] == "pending"
    assert first["last_error"] == "HTTP 503"
    tries = sorted(datetime.fromisoformat(a["at"]) for a in first["attempt_log"])
    assert [a["http_status"] for a in first["attempt_log"]] == [503] * 4
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(tries)]
    assert [round(g, 1) >= wait for g, wait in zip(gaps, (0.2, 0.4, 0.8), strict=True)] == [True] * 3, gaps

    # Disabled: nothing more is tried, even when the endpoint is back.
    alerting.hook.status = None
    time.sleep(1.5)  # longer than the longest backoff (1 s) and the send interval (0.2 s)
    assert alerting.hook.refused == 4
    assert alerting.hook.received == []

    response = alerting.client.patch(
        f"/v1/alerts/subscriptions/{hook['id']}", json={"enabled": True}, headers=alerting.headers()
    )
    assert response.status_code == 200, response.text
    alerting.wait(lambda: len(alerting.hook.received) == 3)
    assert [r.body["event"]["id"] for r in alerting.hook.received] == sent  # each once, in order
    assert len({r.headers["X-MLF-Delivery"] for r in alerting.hook.received}) == 3
    sub = _subscription(alerting, hook["id"])
    assert (sub["enabled"], sub["consecutive_failures"], sub["pending"]) == (True, 0, 0)
    assert sub["disabled_reason"] is None
    first = next(d for d in _deliveries(alerting, hook["id"]) if d["event"] == sent[0])
    assert (first["status"], first["attempts"]) == ("delivered", 5)
    assert first["attempt_log"][0]["ok"]


def test_a_mail_server_that_is_down_is_retried_until_it_answers(patient_alerting: Alerting) -> None:
    alerting = patient_alerting
    alerting.post("/v1/organisations", {"id": "org", "name": "Comune"})
    alerting.smtp.stop()
    mail = alerting.post("/v1/alerts/subscriptions", {"organisation": "org", "email": "urp@comune.example.org"})
    _test_alert(alerting, mail["id"])
    alerting.wait(lambda: _subscription(alerting, mail["id"])["consecutive_failures"] >= 2)
    (waiting,) = _deliveries(alerting, mail["id"])
    assert waiting["status"] == "pending"
    assert "ConnectionRefusedError" in waiting["last_error"]
    alerting.smtp.start()
    alerting.wait(lambda: len(alerting.smtp.messages) == 1)
    (envelope, message) = alerting.smtp.messages[0]
    assert envelope.rcpt_tos == ["urp@comune.example.org"]
    assert "Allarme di prova: questa sottoscrizione funziona" in message["Subject"]
    alerting.wait(lambda: _deliveries(alerting, mail["id"])[0]["status"] == "delivered")
    assert _subscription(alerting, mail["id"])["consecutive_failures"] == 0


def test_backoff_doubles_up_to_its_cap() -> None:
    from collector.alerts.sender import backoff
    from collector.alerts.settings import AlertSettings

    settings = AlertSettings(alerts_retry_base_s=30, alerts_retry_max_s=3600)
    waits = [backoff(settings, n) for n in range(1, 10)]
    assert waits[:4] == [timedelta(seconds=s) for s in (30, 60, 120, 240)]
    assert waits[-1] == timedelta(hours=1)
