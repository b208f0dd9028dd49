"""Alert events and the state they change: what is firing now, and each change, fanned out to subscriptions.

The evaluator calls `lock` first, in its transaction: only one collector evaluates at a time (the others skip
that cycle), and the state it reads cannot change under it. An event is stored with its deliveries, one per
matching subscription, in the same transaction as the state that records it, so it is told exactly once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection
from psycopg.types.json import Jsonb

from collector.store.registry import rows
from collector.store.scope import OrgScope

LOCK_KEY = 0x6D6C665F616C7274  # "mlf_alrt"
ALERTS = ("below_target", "kiosk_silent", "identity_conflict", "quarantine_spike", "outbox_growing", "test")


@dataclass(frozen=True)
class Firing:
    alert: str
    subject: str
    org: str | None
    firing_since: datetime
    clear_since: datetime | None
    detail: dict[str, Any]


@dataclass(frozen=True)
class NewEvent:
    alert: str
    status: str
    """firing or resolved."""
    subject: str
    org: str | None
    site: str | None = None
    service_point: str | None = None
    kiosk: str | None = None
    detail: dict[str, Any] | None = None


async def lock(conn: AsyncConnection[Any]) -> bool:
    """Take the evaluator's lock for the current transaction; False if another collector holds it."""
    cur = await conn.execute("SELECT pg_try_advisory_xact_lock(%(key)s)", {"key": LOCK_KEY})
    found = await cur.fetchone()
    return bool(found and found[0])


async def firing(conn: AsyncConnection[Any], alert: str) -> dict[str, Firing]:
    found = await rows(conn, "SELECT * FROM alert_state WHERE alert = %(alert)s", {"alert": alert})
    return {
        r["subject"]: Firing(r["alert"], r["subject"], r["org_id"], r["firing_since"], r["clear_since"], r["detail"])
        for r in found
    }


async def set_clearing(conn: AsyncConnection[Any], alert: str, subjects: Sequence[str], since: datetime | None) -> None:
    """Mark when the subjects' conditions went away (None: they are back)."""
    if subjects:
        await conn.execute(
            "UPDATE alert_state SET clear_since = %(since)s WHERE alert = %(alert)s AND subject = ANY(%(subjects)s)",
            {"alert": alert, "subjects": list(subjects), "since": since},
        )


async def record(conn: AsyncConnection[Any], events: Iterable[NewEvent], now: datetime) -> list[int]:
    """Store the events, change the state they describe, queue their deliveries; the events' ids."""
    ids = []
    for e in events:
        cur = await conn.execute(
            "INSERT INTO alert_events (alert, status, at, org_id, site_id, service_point_id, kiosk_id, subject, detail)"
            " VALUES (%(alert)s, %(status)s, %(at)s, %(org)s, %(site)s, %(sp)s, %(kiosk)s, %(subject)s, %(detail)s)"
            " RETURNING id",
            {"alert": e.alert, "status": e.status, "at": now, "org": e.org, "site": e.site, "sp": e.service_point,
             "kiosk": e.kiosk, "subject": e.subject, "detail": Jsonb(e.detail or {})},
        )  # fmt: skip
        found = await cur.fetchone()
        assert found is not None
        event_id = int(found[0])
        ids.append(event_id)
        if e.alert == "test":
            continue
        if e.status == "firing":
            await conn.execute(
                "INSERT INTO alert_state (alert, subject, org_id, firing_since, event_id, detail)"
                " VALUES (%(alert)s, %(subject)s, %(org)s, %(at)s, %(id)s, %(detail)s)"
                " ON CONFLICT (alert, subject) DO UPDATE SET firing_since = EXCLUDED.firing_since,"
                " clear_since = NULL, event_id = EXCLUDED.event_id, detail = EXCLUDED.detail",
                {"alert": e.alert, "subject": e.subject, "org": e.org, "at": now, "id": event_id,
                 "detail": Jsonb(e.detail or {})},
            )  # fmt: skip
        else:
            await conn.execute(
                "DELETE FROM alert_state WHERE alert = %(alert)s AND subject = %(subject)s",
                {"alert": e.alert, "subject": e.subject},
            )
        await fan_out(conn, event_id)
    return ids


async def fan_out(conn: AsyncConnection[Any], event_id: int) -> int:
    """Queue the event for every subscription that wants it; how many."""
    cur = await conn.execute(
        "INSERT INTO alert_deliveries (event_id, subscription_id)"
        " SELECT e.id, s.id FROM alert_events e JOIN alert_subscriptions s"
        " ON (s.org_id IS NULL OR s.org_id = e.org_id) AND (s.site_id IS NULL OR s.site_id = e.site_id)"
        " AND (s.service_point_id IS NULL OR s.service_point_id = e.service_point_id)"
        " AND (cardinality(s.alerts) = 0 OR e.alert = ANY(s.alerts))"
        " WHERE e.id = %(id)s ON CONFLICT DO NOTHING",
        {"id": event_id},
    )
    return cur.rowcount


async def test(conn: AsyncConnection[Any], subscription: str, org: str | None, now: datetime) -> int:
    """A test event for one subscription only; its id."""
    async with conn.transaction():
        (event_id,) = await record(conn, [NewEvent("test", "firing", subscription, org)], now)
        await conn.execute(
            "INSERT INTO alert_deliveries (event_id, subscription_id) VALUES (%(id)s, %(sub)s)",
            {"id": event_id, "sub": subscription},
        )
    return event_id


async def events(
    conn: AsyncConnection[Any],
    *,
    scope: OrgScope,
    org: str | None = None,
    alert: str | None = None,
    service_point: str | None = None,
    since: datetime | None = None,
    before_id: int | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Events newest first (a page ends before `before_id`), in scope and the filters."""
    return await rows(
        conn,
        "SELECT e.*, sp.name AS service_point_name, o.name AS organisation_name FROM alert_events e"
        " LEFT JOIN service_points sp ON sp.id = e.service_point_id LEFT JOIN organisations o ON o.id = e.org_id"
        " WHERE (%(scope_org)s::text IS NULL OR e.org_id = %(scope_org)s)"
        " AND (%(org)s::text IS NULL OR e.org_id = %(org)s) AND (%(alert)s::text IS NULL OR e.alert = %(alert)s)"
        " AND (%(sp)s::text IS NULL OR e.service_point_id = %(sp)s)"
        " AND (%(since)s::timestamptz IS NULL OR e.at >= %(since)s)"
        " AND (%(before)s::bigint IS NULL OR e.id < %(before)s)"
        " ORDER BY e.id DESC LIMIT %(limit)s",
        {"org": org, "alert": alert, "sp": service_point, "since": since, "before": before_id, "limit": limit,
         **scope.params},
    )  # fmt: skip


async def event(conn: AsyncConnection[Any], event_id: int) -> dict[str, Any] | None:
    found = await rows(
        conn,
        "SELECT e.*, sp.name AS service_point_name, o.name AS organisation_name FROM alert_events e"
        " LEFT JOIN service_points sp ON sp.id = e.service_point_id LEFT JOIN organisations o ON o.id = e.org_id"
        " WHERE e.id = %(id)s",
        {"id": event_id},
    )
    return found[0] if found else None


async def places(conn: AsyncConnection[Any], service_points: Iterable[str]) -> dict[str, tuple[str, str | None]]:
    """service point -> (organisation, site)."""
    found = await rows(
        conn, "SELECT id, org_id, site_id FROM service_points WHERE id = ANY(%(ids)s)", {"ids": list(service_points)}
    )
    return {r["id"]: (r["org_id"], r["site_id"]) for r in found}


async def watch_outboxes(
    conn: AsyncConnection[Any], depths: dict[str, int], now: datetime
) -> dict[str, tuple[int, datetime]]:
    """Record each kiosk's outbox depth; (lowest depth, since when not below it) of each."""
    await conn.execute(
        "INSERT INTO alert_outbox_watch AS w (kiosk_id, low_depth, low_at, depth)"
        " SELECT k, d, %(now)s, d FROM unnest(%(kiosks)s::text[], %(depths)s::bigint[]) AS t(k, d)"
        " WHERE EXISTS (SELECT 1 FROM kiosks WHERE id = k)"
        " ON CONFLICT (kiosk_id) DO UPDATE SET depth = EXCLUDED.depth,"
        " low_depth = CASE WHEN EXCLUDED.depth < w.depth THEN EXCLUDED.depth ELSE w.low_depth END,"
        " low_at = CASE WHEN EXCLUDED.depth < w.depth THEN EXCLUDED.low_at ELSE w.low_at END"
        " WHERE w.depth IS DISTINCT FROM EXCLUDED.depth",
        {"kiosks": list(depths), "depths": list(depths.values()), "now": now},
    )
    found = await rows(conn, "SELECT kiosk_id, low_depth, low_at FROM alert_outbox_watch")
    return {r["kiosk_id"]: (int(r["low_depth"]), r["low_at"]) for r in found}
