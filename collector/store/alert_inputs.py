"""What the alert evaluator looks at besides the flags: kiosks that have been quiet, refused messages, outboxes."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from psycopg import AsyncConnection

from collector.store.registry import rows


async def quiet_kiosks(conn: AsyncConnection[Any], heard_before: datetime) -> list[dict[str, Any]]:
    """Kiosks heard from once, but not since `heard_before`: id, org_id, service_point_id, site_id, last_seen_at."""
    return await rows(
        conn,
        "SELECT k.id, k.org_id, k.service_point_id, sp.site_id, k.last_seen_at FROM kiosks k"
        " LEFT JOIN service_points sp ON sp.id = k.service_point_id"
        " WHERE k.last_seen_at < %(before)s ORDER BY k.id",
        {"before": heard_before},
    )


async def last_seen(conn: AsyncConnection[Any], kiosks: list[str]) -> dict[str, datetime | None]:
    found = await rows(conn, "SELECT id, last_seen_at FROM kiosks WHERE id = ANY(%(ids)s)", {"ids": kiosks})
    return {r["id"]: r["last_seen_at"] for r in found}


async def kiosk_places(conn: AsyncConnection[Any], kiosks: list[str]) -> dict[str, dict[str, Any]]:
    """kiosk -> its org_id, service_point_id, site_id."""
    found = await rows(
        conn,
        "SELECT k.id, k.org_id, k.service_point_id, sp.site_id FROM kiosks k"
        " LEFT JOIN service_points sp ON sp.id = k.service_point_id WHERE k.id = ANY(%(ids)s)",
        {"ids": kiosks},
    )
    return {r["id"]: r for r in found}


async def refused(conn: AsyncConnection[Any], now: datetime, window: timedelta) -> list[dict[str, Any]]:
    """Refused messages within the window per organisation (from the topic, when it names a known one; else
    None) and reason."""
    return await rows(
        conn,
        "SELECT o.id AS org_id, q.reason, count(*) AS messages FROM quarantine q"
        " LEFT JOIN organisations o ON q.topic LIKE 'mlf/v1/%%' AND o.id = split_part(q.topic, '/', 3)"
        " WHERE q.received_at > %(since)s AND q.received_at <= %(now)s GROUP BY 1, 2 ORDER BY 1, 2",
        {"since": now - window, "now": now},
    )
