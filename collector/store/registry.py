"""Writes and reads of the registry: organisations > sites > service points, services, kiosks, reasons, targets.

Shared by the API and the operator CLI, so both enforce the same rules. Errors are `RegistryError`s with a
sentence for people and the HTTP status they map to; nothing here knows about HTTP otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from psycopg import AsyncConnection, errors
from psycopg.rows import dict_row

from collector.store.scope import OrgScope

DEFAULT_REASONS = (
    ("waiting-time", "Tempo di attesa", "Waiting time"),
    ("staff-courtesy", "Cortesia e disponibilità del personale", "Staff courtesy and helpfulness"),
    ("information-clarity", "Chiarezza delle informazioni", "Clarity of information"),
    ("must-come-back", "Esito della richiesta, dovrò tornare", "Outcome of the request, I have to come back"),
)
"""The default list after a red face (domain brief); each organisation edits its own copy."""

Row = dict[str, Any]
Params = Sequence[object] | Mapping[str, object]
"""Query parameters: by name (`%(name)s`) wherever a query is built from parts."""


class RegistryError(ValueError):
    def __init__(self, status: int, kind: str, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.kind, self.title, self.detail = status, kind, title, detail


def not_found(what: str, ident: str) -> RegistryError:
    return RegistryError(404, "not-found", f"{what.capitalize()} not found", f"no {what} {ident!r}")


async def insert(conn: AsyncConnection[Any], what: str, ident: str, query: str, params: Params) -> None:
    try:
        async with conn.transaction():
            await conn.execute(query.encode(), params)
    except errors.UniqueViolation:
        raise RegistryError(409, "conflict", "Already exists", f"{what} {ident!r} already exists") from None
    except errors.ForeignKeyViolation as exc:
        detail = exc.diag.message_detail or str(exc)
        raise RegistryError(422, "unknown-reference", "Refers to something unknown", detail) from None


async def rows(conn: AsyncConnection[Any], query: str, params: Params = ()) -> list[Row]:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(query.encode(), params)
        return await cur.fetchall()


async def one(conn: AsyncConnection[Any], query: str, params: Params, what: str, ident: str) -> Row:
    found = await rows(conn, query, params)
    if not found:
        raise not_found(what, ident)
    return found[0]


async def create_organisation(conn: AsyncConnection[Any], org_id: str, name: str, timezone: str) -> None:
    async with conn.transaction():
        await insert(
            conn,
            "organisation",
            org_id,
            "INSERT INTO organisations (id, name, timezone) VALUES (%s, %s, %s)",
            (org_id, name, timezone),
        )
        await ensure_default_reasons(conn, org_id)


async def organisation(conn: AsyncConnection[Any], org_id: str) -> Row | None:
    """`id, name, timezone` of an organisation, or None."""
    found = await rows(conn, "SELECT id, name, timezone FROM organisations WHERE id = %(id)s", {"id": org_id})
    return found[0] if found else None


async def organisations(conn: AsyncConnection[Any], *, scope: OrgScope) -> list[Row]:
    return await rows(
        conn,
        "SELECT id, name, timezone FROM organisations"
        " WHERE (%(scope_org)s::text IS NULL OR id = %(scope_org)s) ORDER BY id",
        scope.params,
    )


async def sites(conn: AsyncConnection[Any], org_id: str) -> list[Row]:
    return await rows(conn, "SELECT id, name, region FROM sites WHERE org_id = %(org)s ORDER BY id", {"org": org_id})


async def service_points(conn: AsyncConnection[Any], org_id: str) -> list[Row]:
    return await rows(
        conn,
        "SELECT id, name, site_id AS site, channel::text AS channel FROM service_points WHERE org_id = %(org)s"
        " ORDER BY id",
        {"org": org_id},
    )


async def services(conn: AsyncConnection[Any], org_id: str) -> list[Row]:
    return await rows(
        conn, "SELECT id, name, name_en FROM services WHERE org_id = %(org)s ORDER BY id", {"org": org_id}
    )


async def service_point_ids(
    conn: AsyncConnection[Any], org_id: str, *, site: str | None = None, service_point: str | None = None
) -> list[str]:
    """Ids of the organisation's service points, of one site or just the one named (if it is the org's)."""
    found = await rows(
        conn,
        "SELECT id FROM service_points WHERE org_id = %(org)s AND (%(site)s::text IS NULL OR site_id = %(site)s)"
        " AND (%(sp)s::text IS NULL OR id = %(sp)s) ORDER BY id",
        {"org": org_id, "site": site, "sp": service_point},
    )
    return [r["id"] for r in found]


async def reasons(conn: AsyncConnection[Any], org_id: str, *, retired: bool = False) -> list[Row]:
    """`code, label_it, label_en` of the catalogue in kiosk order; `retired`: with codes no longer offered."""
    return await rows(
        conn,
        "SELECT code, label_it, label_en FROM reasons WHERE org_id = %(org)s AND (active OR %(retired)s)"
        " ORDER BY position, code",
        {"org": org_id, "retired": retired},
    )


async def ensure_default_reasons(conn: AsyncConnection[Any], org_id: str) -> None:
    """Give an organisation the default catalogue unless it has one."""
    if await rows(conn, "SELECT 1 FROM reasons WHERE org_id = %s LIMIT 1", (org_id,)):
        return
    async with conn.cursor() as cur:
        await cur.executemany(
            "INSERT INTO reasons (org_id, code, label_it, label_en, position) VALUES (%s, %s, %s, %s, %s)",
            [(org_id, code, it, en, i) for i, (code, it, en) in enumerate(DEFAULT_REASONS)],
        )


async def create_site(conn: AsyncConnection[Any], site_id: str, org_id: str, name: str, region: str | None) -> None:
    await insert(
        conn,
        "site",
        site_id,
        "INSERT INTO sites (id, org_id, name, region) VALUES (%s, %s, %s, %s)",
        (site_id, org_id, name, region),
    )


async def create_service_point(
    conn: AsyncConnection[Any], sp_id: str, org_id: str, site_id: str | None, name: str, channel: str
) -> None:
    if site_id is not None:
        site = await one(conn, "SELECT org_id FROM sites WHERE id = %s", (site_id,), "site", site_id)
        if site["org_id"] != org_id:
            raise RegistryError(
                422, "unknown-reference", "Site of another organisation", f"{site_id!r} is not {org_id!r}'s"
            )
    await insert(
        conn,
        "service point",
        sp_id,
        "INSERT INTO service_points (id, org_id, site_id, name, channel) VALUES (%s, %s, %s, %s, %s)",
        (sp_id, org_id, site_id, name, channel),
    )


async def create_service(
    conn: AsyncConnection[Any], org_id: str, service_id: str, name: str, name_en: str | None = None
) -> None:
    await insert(
        conn,
        "service",
        service_id,
        "INSERT INTO services (org_id, id, name, name_en) VALUES (%s, %s, %s, %s)",
        (org_id, service_id, name, name_en),
    )


async def check_services(conn: AsyncConnection[Any], org_id: str, services: list[str]) -> None:
    known = {r["id"] for r in await rows(conn, "SELECT id FROM services WHERE org_id = %s", (org_id,))}
    if unknown := [s for s in services if s not in known]:
        raise RegistryError(
            422, "unknown-reference", "Unknown service", f"{org_id!r} has no service {', '.join(map(repr, unknown))}"
        )
    if len(set(services)) != len(services):
        raise RegistryError(422, "invalid-request", "Invalid request", "services contains duplicates")


async def replace_reasons(conn: AsyncConnection[Any], org_id: str, reasons: list[tuple[str, str, str]]) -> None:
    """The catalogue becomes exactly `reasons`, in this order; codes no longer listed stay, inactive
    (their past counts keep their labels)."""
    async with conn.transaction():
        await conn.execute("UPDATE reasons SET active = false WHERE org_id = %s", (org_id,))
        async with conn.cursor() as cur:
            await cur.executemany(
                "INSERT INTO reasons (org_id, code, label_it, label_en, position, active)"
                " VALUES (%s, %s, %s, %s, %s, true) ON CONFLICT (org_id, code) DO UPDATE SET"
                " label_it = EXCLUDED.label_it, label_en = EXCLUDED.label_en, position = EXCLUDED.position,"
                " active = true",
                [(org_id, code, it, en, i) for i, (code, it, en) in enumerate(reasons)],
            )
