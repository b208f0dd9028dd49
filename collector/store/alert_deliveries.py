"""The outbox of alert deliveries and their log.

A sender claims subscriptions that have something pending and are due (enabled, past their backoff) by
leasing them (`next_attempt_at` moves past the lease), so several collectors never send the same thing; it
sends each subscription's deliveries in order and records every attempt. A failure stops that subscription's
round and backs it off (doubling, capped); after `max_failures` in a row it is disabled until an admin enables
it again. A sender that dies mid-lease leaves the lease to expire: the delivery is sent again (receivers
deduplicate by the delivery id), never lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from psycopg import AsyncConnection

from collector.store.registry import rows
from collector.store.scope import OrgScope


@dataclass(frozen=True)
class Claimed:
    id: str
    channel: str
    target: str
    secret: str | None
    languages: list[str]
    failures: int
    name: str


async def claim(conn: AsyncConnection[Any], now: datetime, lease: timedelta, limit: int = 20) -> list[Claimed]:
    found = await rows(
        conn,
        "UPDATE alert_subscriptions s SET next_attempt_at = %(until)s WHERE s.id IN ("
        " SELECT id FROM alert_subscriptions c WHERE c.enabled AND coalesce(c.next_attempt_at <= %(now)s, true)"
        " AND EXISTS (SELECT 1 FROM alert_deliveries d WHERE d.subscription_id = c.id AND d.status = 'pending')"
        " ORDER BY c.next_attempt_at NULLS FIRST LIMIT %(limit)s FOR UPDATE SKIP LOCKED)"
        " RETURNING s.id, s.channel, s.target, s.secret, s.languages, s.consecutive_failures, s.name",
        {"now": now, "until": now + lease, "limit": limit},
    )
    return [Claimed(r["id"], r["channel"], r["target"], r["secret"], r["languages"], r["consecutive_failures"],
                    r["name"])
            for r in found]  # fmt: skip


async def pending(conn: AsyncConnection[Any], subscription: str, limit: int = 20) -> list[dict[str, Any]]:
    """The subscription's deliveries waiting, oldest first, each with its event (`event_*` columns)."""
    return await rows(
        conn,
        "SELECT d.id AS delivery_id, d.attempts, e.id AS event_id, e.alert, e.status AS event_status, e.at,"
        " e.org_id, e.site_id, e.service_point_id, e.kiosk_id, e.subject, e.detail, sp.name AS service_point_name,"
        " o.name AS organisation_name FROM alert_deliveries d JOIN alert_events e ON e.id = d.event_id"
        " LEFT JOIN service_points sp ON sp.id = e.service_point_id LEFT JOIN organisations o ON o.id = e.org_id"
        " WHERE d.subscription_id = %(id)s AND d.status = 'pending' ORDER BY d.id LIMIT %(limit)s",
        {"id": subscription, "limit": limit},
    )


async def attempted(
    conn: AsyncConnection[Any],
    delivery: int,
    subscription: str,
    *,
    ok: bool,
    duration_ms: int,
    http_status: int | None = None,
    error: str | None = None,
    retry_at: datetime | None = None,
    max_failures: int = 10,
) -> bool:
    """Record an attempt and what it means for the delivery and its subscription; True if the subscription
    was disabled now. A failure sets the subscription's next attempt to `retry_at`."""
    async with conn.transaction():
        await conn.execute(
            "INSERT INTO alert_delivery_attempts (delivery_id, ok, http_status, error, duration_ms)"
            " VALUES (%(id)s, %(ok)s, %(status)s, %(error)s, %(ms)s)",
            {"id": delivery, "ok": ok, "status": http_status, "error": error, "ms": duration_ms},
        )
        await conn.execute(
            "UPDATE alert_deliveries SET attempts = attempts + 1, last_attempt_at = now(), last_error = %(error)s,"
            " status = CASE WHEN %(ok)s THEN 'delivered' ELSE status END,"
            " delivered_at = CASE WHEN %(ok)s THEN now() END WHERE id = %(id)s",
            {"id": delivery, "ok": ok, "error": error},
        )
        if ok:
            await conn.execute(
                "UPDATE alert_subscriptions SET consecutive_failures = 0 WHERE id = %(id)s", {"id": subscription}
            )
            return False
        found = await rows(
            conn,
            "UPDATE alert_subscriptions SET consecutive_failures = consecutive_failures + 1,"
            " next_attempt_at = %(retry)s,"
            " enabled = enabled AND consecutive_failures + 1 < %(max)s,"
            " disabled_at = CASE WHEN consecutive_failures + 1 >= %(max)s THEN now() ELSE disabled_at END,"
            " disabled_reason = CASE WHEN consecutive_failures + 1 >= %(max)s"
            "  THEN (consecutive_failures + 1)::text || ' failures in a row: ' || %(error)s ELSE disabled_reason END"
            " WHERE id = %(id)s AND enabled RETURNING enabled",
            {"id": subscription, "retry": retry_at, "max": max_failures, "error": (error or "")[:200]},
        )
        return bool(found) and not found[0]["enabled"]


async def release(conn: AsyncConnection[Any], subscription: str) -> None:
    """The round went through: the subscription is due again whenever something is pending."""
    await conn.execute(
        "UPDATE alert_subscriptions SET next_attempt_at = NULL WHERE id = %(id)s AND consecutive_failures = 0",
        {"id": subscription},
    )


async def listing(
    conn: AsyncConnection[Any],
    *,
    scope: OrgScope,
    org: str | None = None,
    subscription: str | None = None,
    status: str | None = None,
    before_id: int | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Deliveries newest first, each with its attempts (the latest ten), in scope and the filters."""
    return await rows(
        conn,
        "SELECT d.*, s.org_id, s.channel, e.alert, e.status AS event_status, coalesce(("
        "  SELECT jsonb_agg(jsonb_build_object('at', a.at, 'ok', a.ok, 'http_status', a.http_status,"
        "   'error', a.error, 'duration_ms', a.duration_ms) ORDER BY a.at DESC)"
        "  FROM (SELECT * FROM alert_delivery_attempts WHERE delivery_id = d.id ORDER BY at DESC LIMIT 10) a),"
        "  '[]') AS attempt_log"
        " FROM alert_deliveries d JOIN alert_subscriptions s ON s.id = d.subscription_id"
        " JOIN alert_events e ON e.id = d.event_id"
        " WHERE (%(scope_org)s::text IS NULL OR s.org_id = %(scope_org)s)"
        " AND (%(org)s::text IS NULL OR s.org_id = %(org)s) AND (%(sub)s::text IS NULL OR s.id = %(sub)s)"
        " AND (%(status)s::text IS NULL OR d.status = %(status)s)"
        " AND (%(before)s::bigint IS NULL OR d.id < %(before)s)"
        " ORDER BY d.id DESC LIMIT %(limit)s",
        {"org": org, "sub": subscription, "status": status, "before": before_id, "limit": limit, **scope.params},
    )
