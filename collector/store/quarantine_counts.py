"""What the collector refused, counted by reason, for the fleet's readers (the rows stay in `quarantine`).

A refused message belongs to the organisation of the kiosk it names, or else to the organisation its topic
names (as the Grafana fleet dashboard counts it, dashboards/boards/fleet.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg import AsyncConnection

from collector.store.registry import Row, rows
from collector.store.scope import OrgScope


async def by_reason(conn: AsyncConnection[Any], since: datetime, *, org: str | None, scope: OrgScope) -> list[Row]:
    """`reason, count, last_at` of messages refused since `since`, most frequent first."""
    return await rows(
        conn,
        "SELECT q.reason, count(*) AS count, max(q.received_at) AS last_at FROM quarantine q"
        " LEFT JOIN kiosks k ON k.id = q.kiosk_id"
        " CROSS JOIN LATERAL (SELECT coalesce(k.org_id, split_part(q.topic, '/', 3)) AS org) AS owner"
        " WHERE q.received_at >= %(since)s AND (%(org)s::text IS NULL OR owner.org = %(org)s)"
        " AND (%(scope_org)s::text IS NULL OR owner.org = %(scope_org)s)"
        " GROUP BY q.reason ORDER BY count(*) DESC, q.reason",
        {"since": since, "org": org, **scope.params},
    )
