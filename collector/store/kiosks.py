"""Kiosks in the registry: registration with credentials and settings, new credentials, settings, the fleet.

Every function takes the caller's organisation scope: a kiosk or service point outside it is not found.
"""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection

from collector.store.registry import Row, check_services, insert, one, rows
from collector.store.scope import OrgScope


async def create(
    conn: AsyncConnection[Any],
    kiosk_id: str,
    service_point: str,
    password_hash: str,
    services: list[str],
    cooldown_s: float,
    *,
    scope: OrgScope,
) -> Row:
    """Register a kiosk at a service point with its credentials (hash) and settings, in one transaction;
    returns `org_id`."""
    sp = await one(
        conn,
        "SELECT org_id FROM service_points"
        " WHERE id = %(sp)s AND (%(scope_org)s::text IS NULL OR org_id = %(scope_org)s)",
        {"sp": service_point, **scope.params},
        "service point",
        service_point,
    )
    await check_services(conn, sp["org_id"], services)
    params = {"id": kiosk_id, "org": sp["org_id"], "sp": service_point}
    async with conn.transaction():
        await insert(
            conn,
            "kiosk",
            kiosk_id,
            "INSERT INTO kiosks (id, org_id, service_point_id) VALUES (%(id)s, %(org)s, %(sp)s)",
            params,
        )
        await conn.execute(
            "INSERT INTO kiosk_credentials (kiosk_id, password_hash) VALUES (%(id)s, %(hash)s)",
            {"id": kiosk_id, "hash": password_hash},
        )
        await conn.execute(
            "INSERT INTO kiosk_settings (kiosk_id, services, cooldown_s) VALUES (%(id)s, %(services)s, %(cooldown)s)",
            {"id": kiosk_id, "services": services, "cooldown": cooldown_s},
        )
    return {"org_id": sp["org_id"]}


async def find(conn: AsyncConnection[Any], kiosk_id: str, *, scope: OrgScope) -> Row:
    """`org_id` and `service_point_id` of a kiosk in scope; `RegistryError` 404 otherwise."""
    return await one(
        conn,
        "SELECT org_id, service_point_id FROM kiosks"
        " WHERE id = %(id)s AND (%(scope_org)s::text IS NULL OR org_id = %(scope_org)s)",
        {"id": kiosk_id, **scope.params},
        "kiosk",
        kiosk_id,
    )


async def set_password(conn: AsyncConnection[Any], kiosk_id: str, password_hash: str, *, scope: OrgScope) -> Row:
    """Replace a kiosk's MQTT password (hash); returns what `find` returns."""
    kiosk = await find(conn, kiosk_id, scope=scope)
    await conn.execute(
        "INSERT INTO kiosk_credentials (kiosk_id, password_hash) VALUES (%(id)s, %(hash)s)"
        " ON CONFLICT (kiosk_id) DO UPDATE SET password_hash = EXCLUDED.password_hash, created_at = now()",
        {"id": kiosk_id, "hash": password_hash},
    )
    return kiosk


async def put_settings(
    conn: AsyncConnection[Any],
    kiosk_id: str,
    services: list[str],
    cooldown_s: float,
    languages: list[str],
    *,
    scope: OrgScope,
) -> None:
    kiosk = await find(conn, kiosk_id, scope=scope)
    await check_services(conn, kiosk["org_id"], services)
    await conn.execute(
        "INSERT INTO kiosk_settings (kiosk_id, services, cooldown_s, languages)"
        " VALUES (%(id)s, %(services)s, %(cooldown)s, %(languages)s)"
        " ON CONFLICT (kiosk_id) DO UPDATE SET services = EXCLUDED.services, cooldown_s = EXCLUDED.cooldown_s,"
        " languages = EXCLUDED.languages",
        {"id": kiosk_id, "services": services, "cooldown": cooldown_s, "languages": languages},
    )


async def config_revision(conn: AsyncConnection[Any], kiosk_id: str) -> int:
    """Revision of the config published for the kiosk (0 before the first)."""
    found = await rows(conn, "SELECT config_revision FROM kiosk_settings WHERE kiosk_id = %(id)s", {"id": kiosk_id})
    return int(found[0]["config_revision"]) if found else 0


FLEET = """
SELECT k.id, k.org_id AS organisation, k.service_point_id AS service_point, k.online, k.status_at, k.last_seen_at,
       k.last_heartbeat->>'software_version' AS software_version,
       (k.last_heartbeat->>'outbox_depth')::bigint AS outbox_depth,
       (k.last_heartbeat->>'oldest_pending_age_s')::float8 AS oldest_pending_age_s,
       k.acked_seq, (k.last_heartbeat->>'last_seq')::bigint AS last_seq,
       g.open_gaps, g.missing_ratings, k.clock_skew_ms,
       s.config_revision, (k.last_heartbeat->>'config_revision')::bigint AS config_revision_in_use,
       k.last_heartbeat->>'config_error' AS config_error
FROM kiosks k
LEFT JOIN service_points sp ON sp.id = k.service_point_id
LEFT JOIN kiosk_settings s ON s.kiosk_id = k.id
CROSS JOIN LATERAL (
    SELECT count(*) AS open_gaps, coalesce(sum(last_seq - first_seq + 1), 0)::bigint AS missing_ratings
    FROM sequence_gaps WHERE kiosk_id = k.id AND closed_at IS NULL
) g
WHERE (%(scope_org)s::text IS NULL OR k.org_id = %(scope_org)s)
  AND (%(org)s::text IS NULL OR k.org_id = %(org)s) AND (%(site)s::text IS NULL OR sp.site_id = %(site)s)
  AND (%(sp)s::text IS NULL OR k.service_point_id = %(sp)s)
ORDER BY k.id
"""


async def fleet(
    conn: AsyncConnection[Any], *, scope: OrgScope, org: str | None, site: str | None, service_point: str | None
) -> list[Row]:
    """Every kiosk in scope and the filters, with its state as its last messages told it."""
    return await rows(conn, FLEET, {"org": org, "site": site, "sp": service_point, **scope.params})
