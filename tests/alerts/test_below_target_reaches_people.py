"""A service point crossing below target sends exactly one signed webhook and one e-mail (through a real
mail server, STARTTLS required), and its recovery one more of each, after the hold; evaluating again, or
after a restart, tells nothing new."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg

from tests.alerts.conftest import Alerting
from tests.api.known_data import many, store

HOOK_BODY_KEYS = {"schema", "delivery", "subscription", "event"}


def test_a_crossing_and_its_recovery_are_told_once_each(alerting: Alerting) -> None:
    now = datetime.now(UTC).replace(minute=5, second=0, microsecond=0)
    store(alerting.database_url, many(now - timedelta(hours=6), {"positive": 40, "negative": 1}))
    assert alerting.told(now) == []  # on target: nothing to tell
    hook = alerting.post("/v1/alerts/subscriptions", {"organisation": "org", "webhook": alerting.hook.url,
                                                      "alerts": ["below_target"], "name": "Qualità"})  # fmt: skip
    assert hook["secret"].startswith("whsec_")
    alerting.hook.secret = hook["secret"]
    mail = alerting.post("/v1/alerts/subscriptions", {"organisation": "org", "service_point": "sp-1",
                                                      "email": "urp@comune.example.org",
                                                      "alerts": ["below_target"]})  # fmt: skip
    assert mail["secret"] is None
    assert "secret" not in alerting.get(f"/v1/alerts/subscriptions/{hook['id']}")  # shown once

    store(alerting.database_url, many(now - timedelta(hours=3), {"neutral": 10, "negative": 40}))
    with psycopg.connect(alerting.database_url, autocommit=True) as conn:  # registered on first rating: name it
        conn.execute("UPDATE organisations SET name = 'Comune di Prova' WHERE id = 'org'")
    (fired,) = alerting.told(now)
    assert alerting.told(now) == []
    assert alerting.told(now + timedelta(minutes=1)) == []
    alerting.wait(lambda: len(alerting.hook.received) == 1 and len(alerting.smtp.messages) == 1)

    (got,) = alerting.hook.received
    assert got.signed
    assert set(got.body) == HOOK_BODY_KEYS
    assert got.headers["X-MLF-Event"] == "below_target.firing"
    event = got.body["event"]
    assert event["id"] == fired
    assert (event["alert"], event["status"], event["organisation"], event["service_point"]) == (
        "below_target", "firing", "org", "sp-1")  # fmt: skip
    assert event["organisation_name"] == "Comune di Prova"
    detail = event["detail"]
    assert detail["counts"] == {"positive": 40, "neutral": 10, "negative": 41, "misuse": 0}
    assert detail["total"] == 91
    assert detail["reasons"] == ["green_share_below_target", "red_share_above_limit"]
    assert detail["target"]["min_green_share"] == 0.75
    green = detail["shares"]["positive"]
    assert abs(green["share"] - 40 / 91) < 1e-12
    assert green["low"] < 40 / 91 < green["high"] < 0.75
    assert event["summary"]["it"] == "sp-1 è sotto obiettivo"
    assert event["summary"]["en"] == "sp-1 is below target"
    assert event["link"] == f"https://feedback.example.org/v1/alerts/events/{fired}"

    envelope, message = alerting.smtp.messages[0]
    assert envelope.rcpt_tos == ["urp@comune.example.org"]
    assert message["From"] == "qualita@comune.example.org"
    assert message["Subject"] == "[Mettiamoci la faccia] sp-1 è sotto obiettivo"
    text = message.get_content()
    assert "sp-1 è sotto obiettivo" in text
    assert "sp-1 is below target" in text  # Italian first, English beside
    assert "Verdi: 44,0%" in text
    assert "Green: 44.0%" in text
    assert "Ente: Comune di Prova" in text.splitlines()  # its name for people, not the id `org`
    assert "Organisation: Comune di Prova" in text.splitlines()
    assert "Sportello: sp-1" in text.splitlines()  # its name is its id: said once

    # Citizens are happier: back on target, told once the hold (an hour) has passed, not before.
    store(alerting.database_url, many(now - timedelta(hours=2), {"positive": 600}, every=timedelta(seconds=5)))
    assert alerting.told(now + timedelta(minutes=2)) == []
    assert alerting.told(now + timedelta(minutes=30)) == []
    (resolved,) = alerting.told(now + timedelta(minutes=63))
    assert alerting.told(now + timedelta(minutes=64)) == []
    alerting.wait(lambda: len(alerting.hook.received) == 2 and len(alerting.smtp.messages) == 2)
    back = alerting.hook.received[1].body["event"]
    assert (back["id"], back["status"]) == (resolved, "resolved")
    assert back["detail"]["state"] == "on_target"
    assert back["detail"]["counts"]["positive"] == 640
    assert "è di nuovo in obiettivo" in alerting.smtp.messages[1][1]["Subject"]

    listed = alerting.events(org="org", alert="below_target")
    assert [(e["id"], e["status"]) for e in listed] == [(resolved, "resolved"), (fired, "firing")]
    assert alerting.get("/v1/alerts/events", alerting.reader, org="org", alert="below_target") == listed
    deliveries = alerting.get("/v1/alerts/deliveries", org="org")
    assert len(deliveries) == 4
    assert {d["status"] for d in deliveries} == {"delivered"}
    assert all(d["attempts"] == 1 and d["attempt_log"][0]["ok"] for d in deliveries)
    webhook_log = [d["attempt_log"][0] for d in deliveries if d["channel"] == "webhook"]
    assert {a["http_status"] for a in webhook_log} == {204}


def test_flapping_around_the_target_and_thin_windows_do_not_alert_again(alerting: Alerting) -> None:
    now = datetime.now(UTC).replace(minute=5, second=0, microsecond=0)
    store(alerting.database_url, many(now - timedelta(hours=5), {"positive": 20, "negative": 40}))
    (fired,) = alerting.told(now)
    store(alerting.database_url, many(now - timedelta(hours=4), {"positive": 600}))
    assert alerting.told(now) == []  # on target: clearing, held
    store(alerting.database_url, many(now - timedelta(hours=3), {"negative": 400}))
    assert alerting.told(now + timedelta(minutes=40)) == []  # below again within the hold: still the same alert
    assert alerting.told(now + timedelta(minutes=120)) == []
    # The window moves past the data: not enough data cannot tell, so nothing changes.
    assert alerting.told(now + timedelta(days=40)) == []
    assert [e["id"] for e in alerting.events(alert="below_target")] == [fired]
