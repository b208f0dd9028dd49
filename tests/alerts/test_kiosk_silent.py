"""A kiosk that stops during opening hours alerts once (silence counted in opening minutes only, 15 by default);
the same silence outside them does not, until the office opens again; heard again, it is told resolved once."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from tests.alerts.conftest import Alerting
from tests.api.known_data import many, store

ROME = ZoneInfo("Europe/Rome")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ROME)


def test_a_kiosk_stopped_in_opening_hours_alerts_and_outside_them_does_not(alerting: Alerting) -> None:
    today = datetime.now(ROME).date()
    tuesday = today - timedelta(days=today.weekday() + 6)  # last week's Tuesday
    wednesday = tuesday + timedelta(days=1)
    store(alerting.database_url, [
        *many(at(tuesday, 10), {"positive": 1}),  # k-1 at sp-1: stops at 10:00
        *many(at(tuesday, 12, 55), {"positive": 1}, service_point="sp-2", kiosk="k-2"),  # stops 5 min before closing
    ])  # fmt: skip
    for sp in ("sp-1", "sp-2"):
        alerting.put("/v1/organisations/org/opening-hours",
                     {"service_point": sp, "weekly": {key: ["09:00-13:00"] for key in WEEKDAYS}})  # fmt: skip
    mail = alerting.post("/v1/alerts/subscriptions", {"organisation": "org", "email": "urp@comune.example.org",
                                                      "alerts": ["kiosk_silent"], "languages": ["it"]})  # fmt: skip

    assert alerting.told(at(tuesday, 10, 10), "kiosk_silent") == []  # 10 minutes: not yet
    (k1,) = alerting.told(at(tuesday, 10, 20), "kiosk_silent")
    assert alerting.told(at(tuesday, 10, 30), "kiosk_silent") == []  # once, not every evaluation
    assert alerting.told(at(tuesday, 13, 30), "kiosk_silent") == []  # k-2: 5 open minutes, then closed
    assert alerting.told(at(tuesday, 23, 0), "kiosk_silent") == []  # a whole evening closed: still 5
    assert alerting.told(at(wednesday, 9, 5), "kiosk_silent") == []  # 10 open minutes
    store(alerting.database_url, many(at(wednesday, 9, 8), {"positive": 1}))  # k-1 heard again
    told = alerting.told(at(wednesday, 9, 12), "kiosk_silent")  # k-2: 5 + 12 open minutes
    events = {e["id"]: e for e in alerting.events(alert="kiosk_silent")}
    assert sorted((events[i]["subject"], events[i]["status"]) for i in told) == [
        ("k-1", "resolved"), ("k-2", "firing")]  # fmt: skip
    assert alerting.told(at(wednesday, 9, 20), "kiosk_silent") == []  # k-1: 12 minutes since it was heard

    first = events[k1]
    assert (first["subject"], first["status"], first["service_point"]) == ("k-1", "firing", "sp-1")
    assert first["detail"]["silent_open_s"] == 20 * 60 - 1  # heard a second after the press
    assert first["detail"]["opening_hours_known"] is True
    k2 = next(events[i] for i in told if events[i]["subject"] == "k-2")
    assert k2["detail"]["silent_open_s"] == 17 * 60 - 1
    assert k2["detail"]["silent_s"] > 20 * 3600  # silent all night, which does not count
    assert k2["summary"]["it"] == "Il chiosco k-2 tace da 17 minuti di apertura"

    alerting.wait(lambda: len(alerting.smtp.messages) == 3)
    subjects = sorted(str(m["Subject"]) for _, m in alerting.smtp.messages)
    assert subjects == [
        "[Mettiamoci la faccia] Il chiosco k-1 si fa di nuovo sentire",
        "[Mettiamoci la faccia] Il chiosco k-1 tace da 20 minuti di apertura",
        "[Mettiamoci la faccia] Il chiosco k-2 tace da 17 minuti di apertura",
    ]
    assert {d["status"] for d in alerting.get("/v1/alerts/deliveries", subscription=mail["id"])} == {"delivered"}
