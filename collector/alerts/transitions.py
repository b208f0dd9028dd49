"""The one rule of when an alert is told: on a change, once, and back once, without flapping.

Each cycle every condition says, per subject (a service point, a kiosk, a reason), whether it holds now: yes,
no, or "cannot tell" (a flag with not enough data). Against what is firing (`alert_state`):

- it holds and was not firing: a `firing` event;
- it holds and was clearing: it is not clearing any more (no event);
- it does not hold (or its subject is gone) and was firing: it starts clearing, and once it has stayed clear
  for the alert's hold time a `resolved` event is told (a hold of 0: at once);
- "cannot tell": nothing changes, so a service point whose window thins out does not flap.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from collector.store.alert_events import Firing, NewEvent


@dataclass(frozen=True)
class Observation:
    subject: str
    holds: bool | None
    """True: the alert's condition holds; None: cannot tell (nothing changes)."""
    org: str | None
    site: str | None = None
    service_point: str | None = None
    kiosk: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    def event(self, alert: str, status: str) -> NewEvent:
        return NewEvent(alert, status, self.subject, self.org, self.site, self.service_point, self.kiosk, self.detail)


@dataclass
class Changes:
    events: list[NewEvent] = field(default_factory=list)
    clearing: list[str] = field(default_factory=list)
    """Subjects that started clearing now."""
    back: list[str] = field(default_factory=list)
    """Subjects whose condition holds again while they were clearing."""


def changes(
    alert: str, firing: dict[str, Firing], observed: dict[str, Observation], now: datetime, hold: timedelta
) -> Changes:
    out = Changes()
    for subject, seen in sorted(observed.items()):
        was = firing.get(subject)
        if seen.holds is None:
            continue
        if seen.holds:
            if was is None:
                out.events.append(seen.event(alert, "firing"))
            elif was.clear_since is not None:
                out.back.append(subject)
    for subject, was in sorted(firing.items()):
        seen_now = observed.get(subject)
        if seen_now is not None and seen_now.holds is not False:
            continue
        clear_since = was.clear_since or now
        if now - clear_since >= hold:
            gone = seen_now or Observation(subject, False, was.org, detail={"gone": True})
            out.events.append(_resolved(alert, gone, was))
        elif was.clear_since is None:
            out.clearing.append(subject)
    return out


def _resolved(alert: str, seen: Observation, was: Firing) -> NewEvent:
    event = seen.event(alert, "resolved")
    detail = {**(event.detail or {}), "firing_since": was.firing_since.isoformat()}
    return NewEvent(event.alert, event.status, event.subject, event.org or was.org, event.site,
                    event.service_point, event.kiosk, detail)  # fmt: skip
