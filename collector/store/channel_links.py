"""Rating links (the public web page's addresses), phone lines and the sites allowed to embed the page."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection

from collector.store.registry import DEFAULT_REASONS, RegistryError, not_found, rows
from collector.store.scope import OrgScope


def new_id() -> str:
    """128 random bits, URL-safe: a link nobody can guess or enumerate."""
    return secrets.token_urlsafe(16)


@dataclass(frozen=True)
class Link:
    id: str
    org: str
    org_name: str
    service_point: str
    service_point_name: str
    service: str | None
    service_name: str | None
    service_name_en: str | None
    created_at: datetime
    revoked_at: datetime | None


_LINK = """
SELECT l.id, l.org_id, o.name AS org_name, l.service_point_id, sp.name AS sp_name, l.service_id,
    s.name AS service_name, s.name_en AS service_name_en, l.created_at, l.revoked_at
FROM rating_links l
JOIN organisations o ON o.id = l.org_id
JOIN service_points sp ON sp.id = l.service_point_id
LEFT JOIN services s ON s.org_id = l.org_id AND s.id = l.service_id
"""


def _link(r: dict[str, Any]) -> Link:
    return Link(
        r["id"],
        r["org_id"],
        r["org_name"],
        r["service_point_id"],
        r["sp_name"],
        r["service_id"],
        r["service_name"],
        r["service_name_en"],
        r["created_at"],
        r["revoked_at"],
    )


async def active_link(conn: AsyncConnection[Any], link_id: str) -> Link | None:
    """The link with this id, unless it was rotated away (revoked)."""
    found = await rows(conn, _LINK + " WHERE l.id = %(id)s AND l.revoked_at IS NULL", {"id": link_id})
    return _link(found[0]) if found else None


async def links(conn: AsyncConnection[Any], org: str, *, revoked: bool = False) -> list[Link]:
    found = await rows(
        conn,
        _LINK + " WHERE l.org_id = %(org)s AND (l.revoked_at IS NULL OR %(revoked)s)"
        " ORDER BY l.service_point_id, l.service_id NULLS FIRST, l.created_at",
        {"org": org, "revoked": revoked},
    )
    return [_link(r) for r in found]


async def link_for(
    conn: AsyncConnection[Any], org: str, service_point: str, service: str | None, *, rotate: bool, scope: OrgScope
) -> tuple[Link, bool]:
    """The active link of a service point (and service), made if there is none; with `rotate`, the old one
    is revoked and a new one made. (link, made now)."""
    sp = await rows(
        conn,
        "SELECT org_id FROM service_points WHERE id = %(sp)s AND org_id = %(org)s"
        " AND (%(scope_org)s::text IS NULL OR org_id = %(scope_org)s)",
        {"sp": service_point, "org": org, **scope.params},
    )
    if not sp:
        raise not_found("service point", service_point)
    if service is not None and not await rows(
        conn, "SELECT 1 FROM services WHERE org_id = %s AND id = %s", (org, service)
    ):
        raise not_found("service", service)
    async with conn.transaction():
        found = await rows(
            conn,
            "SELECT id FROM rating_links WHERE service_point_id = %(sp)s AND service_id IS NOT DISTINCT FROM %(svc)s"
            " AND revoked_at IS NULL FOR UPDATE",
            {"sp": service_point, "svc": service},
        )
        if found and not rotate:
            link = await active_link(conn, found[0]["id"])
            assert link is not None
            return link, False
        if found:
            await conn.execute("UPDATE rating_links SET revoked_at = now() WHERE id = %s", (found[0]["id"],))
        made = new_id()
        await conn.execute(
            "INSERT INTO rating_links (id, org_id, service_point_id, service_id) VALUES (%s, %s, %s, %s)",
            (made, org, service_point, service),
        )
    link = await active_link(conn, made)
    assert link is not None
    return link, True


async def revoke_link(conn: AsyncConnection[Any], org: str, link_id: str) -> None:
    cur = await conn.execute(
        "UPDATE rating_links SET revoked_at = now() WHERE id = %s AND org_id = %s AND revoked_at IS NULL",
        (link_id, org),
    )
    if cur.rowcount == 0:
        raise not_found("rating link", link_id)


async def frame_ancestors(conn: AsyncConnection[Any], org: str) -> list[str]:
    found = await rows(conn, "SELECT frame_ancestors FROM web_embedding WHERE org_id = %s", (org,))
    return list(found[0]["frame_ancestors"]) if found else []


async def set_frame_ancestors(conn: AsyncConnection[Any], org: str, sites: list[str]) -> None:
    await conn.execute(
        "INSERT INTO web_embedding (org_id, frame_ancestors) VALUES (%s, %s)"
        " ON CONFLICT (org_id) DO UPDATE SET frame_ancestors = EXCLUDED.frame_ancestors",
        (org, sites),
    )


async def reason_labels(conn: AsyncConnection[Any], org: str) -> list[tuple[str, str, str]]:
    """(code, Italian label, English label) of the organisation's active reasons, in kiosk order; the default
    list for an organisation that has none (one registered by its kiosks' first ratings)."""
    found = await rows(
        conn,
        "SELECT code, label_it, label_en FROM reasons WHERE org_id = %s AND active ORDER BY position, code",
        (org,),
    )
    return [(r["code"], r["label_it"], r["label_en"]) for r in found] or list(DEFAULT_REASONS)


@dataclass(frozen=True)
class PhoneLine:
    id: str
    org: str
    service_point: str
    service: str | None
    language: str
    auth_token: str


async def create_phone_line(
    conn: AsyncConnection[Any], org: str, service_point: str, service: str | None, language: str, auth_token: str
) -> PhoneLine:
    if not await rows(conn, "SELECT 1 FROM service_points WHERE id = %s AND org_id = %s", (service_point, org)):
        raise not_found("service point", service_point)
    if service is not None and not await rows(
        conn, "SELECT 1 FROM services WHERE org_id = %s AND id = %s", (org, service)
    ):
        raise not_found("service", service)
    if len(auth_token) < 16:
        raise RegistryError(422, "invalid-auth-token", "Invalid auth token", "the voice service's auth token is short")
    line = PhoneLine(new_id(), org, service_point, service, language, auth_token)
    await conn.execute(
        "INSERT INTO phone_lines (id, org_id, service_point_id, service_id, language, auth_token)"
        " VALUES (%s, %s, %s, %s, %s, %s)",
        (line.id, org, service_point, service, language, auth_token),
    )
    return line


async def phone_line(conn: AsyncConnection[Any], line_id: str) -> PhoneLine | None:
    found = await rows(
        conn,
        "SELECT id, org_id, service_point_id, service_id, language, auth_token FROM phone_lines"
        " WHERE id = %s AND revoked_at IS NULL",
        (line_id,),
    )
    if not found:
        return None
    r = found[0]
    return PhoneLine(r["id"], r["org_id"], r["service_point_id"], r["service_id"], r["language"], r["auth_token"])


async def phone_lines(conn: AsyncConnection[Any], org: str) -> list[PhoneLine]:
    found = await rows(
        conn,
        "SELECT id, org_id, service_point_id, service_id, language, auth_token FROM phone_lines"
        " WHERE org_id = %s AND revoked_at IS NULL ORDER BY service_point_id, created_at",
        (org,),
    )
    return [
        PhoneLine(r["id"], r["org_id"], r["service_point_id"], r["service_id"], r["language"], r["auth_token"])
        for r in found
    ]
