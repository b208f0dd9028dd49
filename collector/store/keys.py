"""API keys at rest: id, role, optional organisation and service point, SHA-256 of the secret (see
collector/api/security.py). Every function but `find` and `find_unless_spent` takes the caller's organisation
scope."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from psycopg import AsyncConnection, errors

from collector.store import attempts
from collector.store.registry import RegistryError, Row, not_found, rows
from collector.store.scope import OrgScope


@dataclass(frozen=True)
class StoredKey:
    role: str
    org: str | None
    service_point: str | None
    secret_sha256: bytes


async def find(conn: AsyncConnection[Any], key_id: str) -> StoredKey | None:
    """The active key with this id, to authenticate a request."""
    found = await rows(
        conn,
        "SELECT role, org_id, service_point_id, secret_sha256 FROM api_keys WHERE id = %(id)s AND revoked_at IS NULL",
        {"id": key_id},
    )
    if not found:
        return None
    return _stored(found[0])


FIND_UNLESS_SPENT = f"""
SELECT role, org_id, service_point_id, secret_sha256, {attempts.SPENT} AS spent
FROM api_keys WHERE id = %(id)s AND revoked_at IS NULL
"""  # noqa: S608 - the fragment is a constant of ours


async def find_unless_spent(
    conn: AsyncConnection[Any], key_id: str, kind: attempts.Kind, client: bytes, per_client: attempts.Limit
) -> StoredKey | attempts.Spent | None:
    """The active key with this id, unless `client`'s attempts of `kind` fill its limit: then that limit (with
    the wait). One round trip, as `find`, when they do not. With no such key the limit is not read here: the
    caller counts that failure, and learns then whether there was room for it."""
    found = await rows(conn, FIND_UNLESS_SPENT, {"id": key_id, **attempts.spent_params(kind, client, per_client)})
    if not found:
        return None
    if found[0]["spent"]:
        full = await attempts.spent(conn, kind, client, per_client)
        if full is not None:
            return full
    return _stored(found[0])


def _stored(r: Row) -> StoredKey:
    return StoredKey(r["role"], r["org_id"], r["service_point_id"], bytes(r["secret_sha256"]))


async def create(
    conn: AsyncConnection[Any],
    key_id: str,
    name: str,
    role: str,
    org: str | None,
    secret_sha256: bytes,
    *,
    service_point: str | None = None,
    scope: OrgScope,
) -> None:
    """A new key. Bound to a service point (ingest keys only), it is bound to that point's organisation."""
    if service_point is not None:
        if role != "ingest":
            raise RegistryError(422, "invalid-binding", "Invalid binding", "only ingest keys bind to a service point")
        found = await rows(
            conn,
            "SELECT org_id FROM service_points"
            " WHERE id = %(sp)s AND (%(scope_org)s::text IS NULL OR org_id = %(scope_org)s)",
            {"sp": service_point, **scope.params},
        )
        if not found:
            raise not_found("service point", service_point)
        if org is not None and org != found[0]["org_id"]:
            raise RegistryError(
                422, "unknown-reference", "Service point of another organisation", f"{service_point!r} is not {org!r}'s"
            )
        org = found[0]["org_id"]
    try:
        await conn.execute(
            "INSERT INTO api_keys (id, name, role, org_id, service_point_id, secret_sha256)"
            " VALUES (%(id)s, %(name)s, %(role)s, %(org)s, %(sp)s, %(secret)s)",
            {"id": key_id, "name": name, "role": role, "org": org, "sp": service_point, "secret": secret_sha256},
        )
    except errors.ForeignKeyViolation:
        raise RegistryError(422, "unknown-reference", "Unknown organisation", f"no organisation {org!r}") from None


async def listing(conn: AsyncConnection[Any], *, scope: OrgScope, key_id: str | None = None) -> list[Row]:
    """Keys in scope (a scope of one organisation sees the keys bound to it only), or the one `key_id`."""
    return await rows(
        conn,
        "SELECT id, name, role, org_id AS organisation, service_point_id AS service_point, created_at, revoked_at"
        " FROM api_keys WHERE (%(scope_org)s::text IS NULL OR org_id = %(scope_org)s)"
        " AND (%(id)s::text IS NULL OR id = %(id)s)"
        " ORDER BY created_at, id",
        {"id": key_id, **scope.params},
    )


async def revoke(conn: AsyncConnection[Any], key_id: str, *, scope: OrgScope) -> bool:
    cur = await conn.execute(
        "UPDATE api_keys SET revoked_at = now() WHERE id = %(id)s AND revoked_at IS NULL"
        " AND (%(scope_org)s::text IS NULL OR org_id = %(scope_org)s)",
        {"id": key_id, **scope.params},
    )
    return cur.rowcount == 1
