"""Two devices behind one kiosk id, told from what the collector hears. Pure: the store applies it.

Every kiosk outbox is an instance (see docs/mqtt.md). A kiosk id has an identity conflict when:

- `two_instances`: two instances have been heard over overlapping spans of time. A device replaced by
  another (the old one falls silent, then the new one speaks) is no conflict; a cloned SD card, a test
  bench left running with production credentials, or a replaced device switched on again is.
- `sequence_reused`: one instance sent a new event under a number it had used already (a copy of an
  outbox on a second device; or two kiosks that send no instance, sharing the kiosk-wide numbering).
- `session_takeover`: the kiosk reports that another client took its broker connection.

Ratings are never refused for it: every rating of every device is kept, each instance is acknowledged on
its own, and the conflict is reported (API, log, metrics, a kiosk event) until an operator clears it;
only what is heard after that counts again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

TWO_INSTANCES = "two_instances"
SEQUENCE_REUSED = "sequence_reused"
SESSION_TAKEOVER = "session_takeover"


@dataclass(frozen=True, slots=True)
class InstanceSeen:
    instance: UUID
    first_seen_at: datetime
    last_seen_at: datetime


def overlapping(instances: Sequence[InstanceSeen], since: datetime | None = None) -> list[UUID]:
    """Instances whose spans of activity (counted from `since`, when given) overlap another's."""
    spans = [
        (i.instance, max(i.first_seen_at, since) if since else i.first_seen_at, i.last_seen_at)
        for i in instances
        if since is None or i.last_seen_at > since
    ]
    found = {
        a for a, a_from, a_to in spans for b, b_from, b_to in spans if a != b and a_from <= b_to and b_from <= a_to
    }
    return sorted(found)


def conflict_reason(
    instances: Sequence[InstanceSeen], cleared_at: datetime | None, reused: bool, taken_over: bool
) -> str | None:
    """Why this kiosk id has more than one device behind it now, or None."""
    if overlapping(instances, cleared_at):
        return TWO_INSTANCES
    if reused:
        return SEQUENCE_REUSED
    if taken_over:
        return SESSION_TAKEOVER
    return None
