"""Alert subscriptions: who hears which alerts of an organisation (or of one site or service point), and how."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from psycopg import AsyncConnection

from collector.store.registry import insert, not_found, rows
from collector.store.scope import OrgScope

COLUMNS = (
    "id, org_id, site_id, service_point_id, alerts, channel, target, languages, name, enabled, disabled_at,"
    " disabled_reason, consecutive_failures, next_attempt_at, created_at,"
    " (SELECT count(*) FROM alert_deliveries d WHERE d.subscription_id = s.id AND d.status = 'pending') AS pending"
)


async def create(conn: AsyncConnection[Any], values: dict[str, Any]) -> None:
    """A new subscription (id, org_id, site_id, service_point_id, alerts, channel, target, secret, languages,
    name); its site and service point must be its organisation's (which they name when none is given)."""
    for kind, table, key in (("site", "sites", "site_id"), ("service point", "service_points", "service_point_id")):
        if values.get(key) is None:
            continue
        found = await rows(conn, f"SELECT org_id FROM {table} WHERE id = %(id)s", {"id": values[key]})  # noqa: S608
        if found and values["org_id"] is None:
            values = {**values, "org_id": found[0]["org_id"]}
        if not found or found[0]["org_id"] != values["org_id"]:
            raise not_found(kind, values[key])
    await insert(
        conn,
        "subscription",
        values["id"],
        "INSERT INTO alert_subscriptions (id, org_id, site_id, service_point_id, alerts, channel, target, secret,"
        " languages, name) VALUES (%(id)s, %(org_id)s, %(site_id)s, %(service_point_id)s, %(alerts)s, %(channel)s,"
        " %(target)s, %(secret)s, %(languages)s, %(name)s)",
        values,
    )


async def listing(conn: AsyncConnection[Any], *, scope: OrgScope, org: str | None = None) -> list[dict[str, Any]]:
    return await rows(
        conn,
        f"SELECT {COLUMNS} FROM alert_subscriptions s WHERE (%(scope_org)s::text IS NULL OR s.org_id = %(scope_org)s)"  # noqa: S608
        " AND (%(org)s::text IS NULL OR s.org_id = %(org)s) ORDER BY s.created_at, s.id",
        {"org": org, **scope.params},
    )


async def get(conn: AsyncConnection[Any], sub_id: str, *, scope: OrgScope) -> dict[str, Any]:
    """A subscription in scope (a key bound to an organisation sees only that organisation's): 404 otherwise."""
    found = await rows(
        conn,
        f"SELECT {COLUMNS} FROM alert_subscriptions s WHERE s.id = %(id)s"  # noqa: S608
        " AND (%(scope_org)s::text IS NULL OR s.org_id = %(scope_org)s)",
        {"id": sub_id, **scope.params},
    )
    if not found:
        raise not_found("subscription", sub_id)
    return found[0]


async def update(
    conn: AsyncConnection[Any],
    sub_id: str,
    *,
    scope: OrgScope,
    enabled: bool | None = None,
    alerts: Sequence[str] | None = None,
    name: str | None = None,
) -> dict[str, Any]:
    """Change what is given. Enabling forgets the failures and retries what waits at once."""
    await get(conn, sub_id, scope=scope)
    await conn.execute(
        "UPDATE alert_subscriptions SET alerts = coalesce(%(alerts)s, alerts), name = coalesce(%(name)s, name),"
        " enabled = coalesce(%(enabled)s, enabled),"
        " disabled_at = CASE WHEN %(enabled)s THEN NULL WHEN NOT %(enabled)s AND enabled THEN now()"
        "  ELSE disabled_at END,"
        " disabled_reason = CASE WHEN %(enabled)s THEN NULL WHEN NOT %(enabled)s AND enabled THEN 'by an admin'"
        "  ELSE disabled_reason END,"
        " consecutive_failures = CASE WHEN %(enabled)s THEN 0 ELSE consecutive_failures END,"
        " next_attempt_at = CASE WHEN %(enabled)s THEN NULL ELSE next_attempt_at END"
        " WHERE id = %(id)s",
        {"id": sub_id, "enabled": enabled, "alerts": list(alerts) if alerts is not None else None, "name": name},
    )
    return await get(conn, sub_id, scope=scope)


async def delete(conn: AsyncConnection[Any], sub_id: str, *, scope: OrgScope) -> None:
    await get(conn, sub_id, scope=scope)
    await conn.execute("DELETE FROM alert_subscriptions WHERE id = %(id)s", {"id": sub_id})
