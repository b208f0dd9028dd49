"""Kiosks in the registry: registration with credentials and settings, new credentials, settings, the fleet.

Every function takes the caller's organisation scope: a kiosk or service point outside it is not found.
"""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection

from collector.store.registry import Row, check_services, insert, one, rows
from collector.store.scope import OrgScope


async def place(conn: AsyncConnection[Any], service_point: str, services: list[str], *, scope: OrgScope) -> str:
    """The organisation of a kiosk placed at `service_point` (in scope) offering `services` (each checked)."""
    sp = await one(
        conn,
        "SELECT org_id FROM service_points"
        " WHERE id = %(sp)s AND (%(scope_org)s::text IS NULL OR org_id = %(scope_org)s)",
        {"sp": service_point, **scope.params},
        "service point",
        service_point,
    )
    await check_services(conn, sp["org_id"], services)
    return str(sp["org_id"])


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
    org = await place(conn, service_point, services, scope=scope)
    params = {"id": kiosk_id, "org": org, "sp": service_point}
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
    return {"org_id": org}


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
SELECT k.id, k.org_id AS organisation, k.service_point_id AS service_point, sp.name AS service_point_name,
       k.online, k.status_at, k.last_seen_at,
       k.last_heartbeat->>'software_version' AS software_version,
       CASE WHEN covered THEN 0 ELSE least(hb.depth, hb.last_seq - coalesce(hi.acked_seq, 0)) END AS outbox_depth,
       CASE WHEN covered THEN NULL
            ELSE hb.oldest_age + extract(epoch FROM now() - k.last_heartbeat_at)::float8 END AS oldest_pending_age_s,
       cur.instance, coalesce(cur.acked_seq, 0) AS acked_seq, hb.last_seq,
       g.open_gaps, g.missing_ratings, g.lost_ratings, k.clock_skew_ms,
       s.config_revision, (k.last_heartbeat->>'config_revision')::bigint AS config_revision_in_use,
       k.last_heartbeat->>'config_error' AS config_error,
       k.identity_conflict_since, k.identity_conflict_reason, seen.instances
FROM kiosks k
LEFT JOIN service_points sp ON sp.id = k.service_point_id
LEFT JOIN kiosk_settings s ON s.kiosk_id = k.id
CROSS JOIN LATERAL (
    SELECT (k.last_heartbeat->>'outbox_depth')::bigint AS depth, (k.last_heartbeat->>'last_seq')::bigint AS last_seq,
           (k.last_heartbeat->>'oldest_pending_age_s')::float8 AS oldest_age,
           coalesce((k.last_heartbeat->>'instance')::uuid, '00000000-0000-0000-0000-000000000000') AS instance
) hb
LEFT JOIN kiosk_instances hi ON hi.kiosk_id = k.id AND hi.instance = hb.instance
CROSS JOIN LATERAL (SELECT coalesce(hi.acked_seq >= hb.last_seq, false) AS covered) c
LEFT JOIN LATERAL (
    SELECT instance, acked_seq FROM kiosk_instances WHERE kiosk_id = k.id ORDER BY last_seen_at DESC LIMIT 1
) cur ON true
CROSS JOIN LATERAL (
    SELECT count(*) FILTER (WHERE closed_at IS NULL) AS open_gaps,
           coalesce(sum(last_seq - first_seq + 1) FILTER (WHERE closed_at IS NULL), 0)::bigint AS missing_ratings,
           coalesce(sum(last_seq - first_seq + 1) FILTER (WHERE lost_at IS NOT NULL), 0)::bigint AS lost_ratings
    FROM sequence_gaps WHERE kiosk_id = k.id AND (closed_at IS NULL OR lost_at IS NOT NULL)
) g
LEFT JOIN LATERAL (
    SELECT jsonb_agg(jsonb_build_object(
        'instance', i.instance, 'first_seen_at', i.first_seen_at, 'last_seen_at', i.last_seen_at,
        'acked_seq', i.acked_seq, 'max_seq', i.max_seq) ORDER BY i.first_seen_at) AS instances
    FROM kiosk_instances i
    WHERE i.kiosk_id = k.id AND k.identity_conflict_since IS NOT NULL
      AND i.last_seen_at > coalesce(k.identity_conflict_cleared_at, '-infinity')
) seen ON true
WHERE (%(scope_org)s::text IS NULL OR k.org_id = %(scope_org)s)
  AND (%(org)s::text IS NULL OR k.org_id = %(org)s) AND (%(site)s::text IS NULL OR sp.site_id = %(site)s)
  AND (%(sp)s::text IS NULL OR k.service_point_id = %(sp)s)
ORDER BY k.id
"""


async def fleet(
    conn: AsyncConnection[Any], *, scope: OrgScope, org: str | None, site: str | None, service_point: str | None
) -> list[Row]:
    """Every kiosk in scope and the filters, with its state as its last messages told it.

    The outbox figures come from the kiosk's latest heartbeat, but a heartbeat is old news once the collector's
    watermark for the instance that sent it covers the heartbeat's last sequence number: everything it reported
    pending is stored, so the depth is 0 and there is no oldest pending (a kiosk that delivered a months-long
    backfill keeps no months-old backlog figure until its next heartbeat). Until then the depth counts what is
    still uncovered, and the oldest pending has aged by the time since the heartbeat.
    """
    return await rows(conn, FLEET, {"org": org, "site": site, "sp": service_point, **scope.params})
