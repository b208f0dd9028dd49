"""Improvement actions at rest: what was changed, where, from which local day, by which role."""

from __future__ import annotations

from datetime import date
from typing import Any

from psycopg import AsyncConnection, errors

from collector.store.registry import not_found, rows
from collector.store.scope import OrgScope

COLUMNS = (
    "a.id, a.org_id, a.service_point_id, sp.name AS service_point_name, a.service_id, s.name AS service_name,"
    " a.taken_on, a.role, a.description, a.expected_effect, a.window_days, a.recorded_at, o.timezone"
)
FROM = (
    " FROM improvement_actions a JOIN organisations o ON o.id = a.org_id"
    " LEFT JOIN service_points sp ON sp.id = a.service_point_id"
    " LEFT JOIN services s ON s.org_id = a.org_id AND s.id = a.service_id"
)


async def create(conn: AsyncConnection[Any], org: str, values: dict[str, Any]) -> int:
    """A new action (service_point_id, service_id, taken_on, role, description, expected_effect, window_days):
    its service point and service must be the organisation's."""
    if values["service_point_id"] is not None:
        found = await rows(
            conn, "SELECT org_id FROM service_points WHERE id = %(id)s", {"id": values["service_point_id"]}
        )
        if not found or found[0]["org_id"] != org:
            raise not_found("service point", values["service_point_id"])
    try:
        found = await rows(
            conn,
            "INSERT INTO improvement_actions (org_id, service_point_id, service_id, taken_on, role, description,"
            " expected_effect, window_days) VALUES (%(org)s, %(service_point_id)s, %(service_id)s, %(taken_on)s,"
            " %(role)s, %(description)s, %(expected_effect)s, %(window_days)s) RETURNING id",
            {"org": org, **values},
        )
    except errors.ForeignKeyViolation:
        raise not_found("service", str(values["service_id"])) from None
    return int(found[0]["id"])


async def listing(
    conn: AsyncConnection[Any],
    org: str,
    *,
    service_point: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> list[dict[str, Any]]:
    """The organisation's actions, newest first (of one service point), taken in [since, until)."""
    return await rows(
        conn,
        f"SELECT {COLUMNS}{FROM} WHERE a.org_id = %(org)s"
        " AND (%(sp)s::text IS NULL OR a.service_point_id = %(sp)s)"
        " AND (%(since)s::date IS NULL OR a.taken_on >= %(since)s)"
        " AND (%(until)s::date IS NULL OR a.taken_on < %(until)s)"
        " ORDER BY a.taken_on DESC, a.id DESC",
        {"org": org, "sp": service_point, "since": since, "until": until},
    )


async def get(conn: AsyncConnection[Any], action_id: int, *, scope: OrgScope, org: str) -> dict[str, Any]:
    found = await rows(
        conn,
        f"SELECT {COLUMNS}{FROM} WHERE a.id = %(id)s AND a.org_id = %(org)s"
        " AND (%(scope_org)s::text IS NULL OR a.org_id = %(scope_org)s)",
        {"id": action_id, "org": org, **scope.params},
    )
    if not found:
        raise not_found("action", str(action_id))
    return found[0]


async def delete(conn: AsyncConnection[Any], action_id: int, *, scope: OrgScope, org: str) -> None:
    await get(conn, action_id, scope=scope, org=org)
    await conn.execute("DELETE FROM improvement_actions WHERE id = %(id)s", {"id": action_id})


async def service_points(conn: AsyncConnection[Any], org: str) -> list[str]:
    """Every service point of the organisation (where a service's action is measured)."""
    found = await rows(conn, "SELECT id FROM service_points WHERE org_id = %(org)s ORDER BY id", {"org": org})
    return [r["id"] for r in found]
