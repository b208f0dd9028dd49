"""One evaluation cycle: every condition against what is firing, the changes stored as events, in one
transaction under the evaluator's lock (`collector.store.alert_events.lock`): with two collectors running,
one evaluates and the other skips that cycle, and a restart re-reads the state instead of alerting again.

Identity conflicts are told as the ingest recorded them (`collector.store.kiosk_events`): each kiosk event
becomes one alert event and is marked delivered in the same transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from psycopg import AsyncConnection

from collector.alerts import conditions
from collector.alerts.settings import AlertSettings
from collector.alerts.transitions import Observation, changes
from collector.store import alert_events, alert_inputs, kiosk_events
from collector.store.alert_events import NewEvent

log = logging.getLogger(__name__)

Condition = Callable[[AsyncConnection[Any], datetime, AlertSettings], Awaitable[dict[str, Observation]]]


async def _below_target(conn: AsyncConnection[Any], now: datetime, settings: AlertSettings) -> dict[str, Observation]:
    return await conditions.below_target(conn, now)


def _holds(settings: AlertSettings) -> dict[str, tuple[Condition, timedelta]]:
    """Each alert's condition and how long it must stay clear before it is told resolved."""
    return {
        "below_target": (_below_target, timedelta(seconds=settings.alerts_recovery_hold_s)),
        "kiosk_silent": (conditions.kiosk_silent, timedelta(0)),
        "quarantine_spike": (conditions.quarantine_spike, timedelta(seconds=settings.alerts_quarantine_window_s)),
        "outbox_growing": (conditions.outbox_growing, timedelta(0)),
    }


@dataclass(frozen=True)
class Cycle:
    events: list[int]
    """Ids of the events stored."""
    evaluated: bool
    """False when another collector held the lock."""


async def evaluate(conn: AsyncConnection[Any], settings: AlertSettings, now: datetime) -> Cycle:
    async with conn.transaction():
        if not await alert_events.lock(conn):
            return Cycle([], evaluated=False)
        new: list[NewEvent] = []
        for alert, (condition, hold) in _holds(settings).items():
            firing = await alert_events.firing(conn, alert)
            observed = await condition(conn, now, settings)
            missing = [s for s in firing if s not in observed]
            if missing:
                observed |= await conditions.placed(conn, alert, missing, now)
            found = changes(alert, firing, observed, now, hold)
            await alert_events.set_clearing(conn, alert, found.clearing, now)
            await alert_events.set_clearing(conn, alert, found.back, None)
            new += found.events
        told = await _identity_conflicts(conn)
        new += [e for _, e in told]
        ids = await alert_events.record(conn, new, now)
        await kiosk_events.mark_delivered(conn, [i for i, _ in told])
    if ids:
        log.info("alerts: %d event(s): %s", len(ids), ", ".join(f"{e.alert} {e.status} {e.subject}" for e in new))
    return Cycle(ids, evaluated=True)


async def _identity_conflicts(conn: AsyncConnection[Any]) -> list[tuple[int, NewEvent]]:
    out: list[tuple[int, NewEvent]] = []
    after = 0
    while page := await kiosk_events.undelivered(conn, after):
        places = await alert_inputs.kiosk_places(conn, sorted({e.kiosk_id for e in page}))
        for e in page:
            p = places.get(e.kiosk_id, {})
            status = "resolved" if e.kind == kiosk_events.IDENTITY_CONFLICT_CLEARED else "firing"
            detail = {**e.detail, "recorded_at": e.at.isoformat()}
            out.append((e.id, NewEvent("identity_conflict", status, e.kiosk_id, e.org_id, p.get("site_id"),
                                       p.get("service_point_id"), e.kiosk_id, detail)))  # fmt: skip
        after = page[-1].id
    return out
