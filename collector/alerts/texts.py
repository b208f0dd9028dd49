"""What an alert says, in every language of the one catalogue (`i18n`): its summary, its e-mail's words."""

from __future__ import annotations

from typing import Any

from i18n import N_, translator

SUMMARIES = {
    ("below_target", "firing"): N_("{place} is below target"),
    ("below_target", "resolved"): N_("{place} is back on target"),
    ("kiosk_silent", "firing"): N_("Kiosk {kiosk} has been silent for {minutes} minutes of opening hours"),
    ("kiosk_silent", "resolved"): N_("Kiosk {kiosk} is heard again"),
    ("identity_conflict", "firing"): N_("Kiosk {kiosk}: two devices use the same identity"),
    ("identity_conflict", "resolved"): N_("Kiosk {kiosk}: identity conflict cleared"),
    ("quarantine_spike", "firing"): N_("{messages} messages refused ({reason}) within {minutes} minutes"),
    ("quarantine_spike", "resolved"): N_("Refused messages ({reason}) are back to normal"),
    ("outbox_growing", "firing"): N_("Kiosk {kiosk}: {depth} ratings waiting to be sent, and growing"),
    ("outbox_growing", "resolved"): N_("Kiosk {kiosk}: its outbox is draining"),
    ("test", "firing"): N_("Test alert: this subscription works"),
}
FIRING = N_("Alert")
RESOLVED = N_("Resolved")
LINES = {
    "organisation": N_("Organisation"),
    "service_point": N_("Service point"),
    "kiosk": N_("Kiosk"),
    "at": N_("When"),
    "green": N_("Green"),
    "red": N_("Red"),
    "ratings": N_("Ratings"),
    "target": N_("Target"),
    "details": N_("Details"),
}
WHY = N_("You receive this message because of the alert subscription {name}.")


def summary(alert: str, status: str, subject: str, name: str | None, detail: dict[str, Any], language: str) -> str:
    values = {
        "place": f"{name} ({subject})" if name and name != subject else subject,
        "kiosk": subject,
        "minutes": round(detail.get("silent_open_s", detail.get("window_s", 0)) / 60),
        "messages": detail.get("messages", ""),
        "reason": detail.get("reason", ""),
        "depth": detail.get("depth", ""),
    }
    return translator(language)(SUMMARIES[(alert, status)], **values)


def summaries(alert: str, status: str, subject: str, name: str | None, detail: dict[str, Any]) -> dict[str, str]:
    """The summary in Italian and English (what every webhook carries)."""
    return {lang: summary(alert, status, subject, name, detail, lang) for lang in ("it", "en")}
