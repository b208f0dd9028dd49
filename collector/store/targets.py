"""Targets: what is set (per service point, per service, the organisation's default) and which one applies.

The one that applies to a service point is its own, else its service's (when the view is one service), else
its organisation's default, else the built-in default: written once, as SQL joined into the reads that need
it (`columns` and `joins`), and read for one service point by `applying`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from psycopg import AsyncConnection, sql

from collector.store.params import Params
from collector.store.registry import Row, not_found, one, rows

Kind = Literal["organisation", "service", "service_point"]


@dataclass(frozen=True, slots=True)
class Target:
    min_green_share: float = 0.75
    max_red_share: float = 0.10
    min_ratings: int = 30
    window_days: int = 28
    source: str = "default"
    """Where the target comes from: service_point, service, organisation or default."""


DEFAULT_TARGET = Target()
"""Used when an organisation set none: 3 in 4 green, at most 1 in 10 red, 30 ratings, 4 whole weeks."""

FIELDS = ("min_green_share", "max_red_share", "min_ratings", "window_days")


def columns(params: Params, prefix: str = "t") -> sql.Composable:
    """`<prefix>_min_green_share, ..._window_days, <prefix>_source` over the joins of `joins()`."""
    parts = [
        sql.SQL("coalesce(tsp.{f}, tsv.{f}, tor.{f}, {default}) AS {out}").format(
            f=sql.Identifier(field),
            default=params.add(f"default_{field}", getattr(DEFAULT_TARGET, field)),
            out=sql.Identifier(f"{prefix}_{field}"),
        )
        for field in FIELDS
    ]
    parts.append(
        sql.SQL(
            "CASE WHEN tsp.org_id IS NOT NULL THEN 'service_point' WHEN tsv.org_id IS NOT NULL THEN 'service'"
            " WHEN tor.org_id IS NOT NULL THEN 'organisation' ELSE 'default' END AS {}"
        ).format(sql.Identifier(f"{prefix}_source"))
    )
    return sql.SQL(", ").join(parts)


def joins(org: sql.Composable, service_point: sql.Composable, service: str | None, params: Params) -> sql.Composable:
    """LEFT JOINs of the three kinds of target for the row's organisation (`org`) and service point."""
    return sql.SQL(
        " LEFT JOIN targets tsp ON tsp.org_id = {org} AND tsp.scope = 'service_point' AND tsp.scope_id = {sp}"
        " LEFT JOIN targets tsv ON tsv.org_id = {org} AND tsv.scope = 'service' AND tsv.scope_id = {service}"
        " LEFT JOIN targets tor ON tor.org_id = {org} AND tor.scope = 'organisation' AND tor.scope_id = ''"
    ).format(org=org, sp=service_point, service=params.add("target_service", service or ""))


async def applying(conn: AsyncConnection[Any], org: str, service_point: str, service: str | None) -> Target:
    """The target that applies to one service point (and service), by the same rule as the overview."""
    params = Params()
    query = sql.SQL("SELECT {} FROM (SELECT 1) AS one{}").format(
        columns(params),
        joins(params.add("org", org), params.add("service_point", service_point), service, params),
    )
    cur = await conn.execute(query, params)
    row = await cur.fetchone()
    assert row is not None
    return Target(*row)


async def listing(conn: AsyncConnection[Any], org: str) -> list[Row]:
    """The targets an organisation set: `scope, scope_id` and the four fields."""
    return await rows(
        conn,
        "SELECT scope, scope_id, min_green_share, max_red_share, min_ratings, window_days FROM targets"
        " WHERE org_id = %(org)s ORDER BY scope, scope_id",
        {"org": org},
    )


async def put(conn: AsyncConnection[Any], org: str, kind: Kind, scope_id: str, values: Row) -> None:
    """Set a target; the service or service point must be the organisation's (404 otherwise)."""
    if kind == "service_point":
        found = await rows(conn, "SELECT org_id FROM service_points WHERE id = %(id)s", {"id": scope_id})
        if not found or found[0]["org_id"] != org:
            raise not_found("service point", scope_id)
    elif kind == "service":
        await one(
            conn,
            "SELECT id FROM services WHERE org_id = %(org)s AND id = %(id)s",
            {"org": org, "id": scope_id},
            "service",
            scope_id,
        )
    await conn.execute(
        "INSERT INTO targets (org_id, scope, scope_id, min_green_share, max_red_share, min_ratings, window_days)"
        " VALUES (%(org)s, %(kind)s, %(scope_id)s, %(min_green_share)s, %(max_red_share)s, %(min_ratings)s,"
        " %(window_days)s) ON CONFLICT (org_id, scope, scope_id) DO UPDATE SET"
        " min_green_share = EXCLUDED.min_green_share, max_red_share = EXCLUDED.max_red_share,"
        " min_ratings = EXCLUDED.min_ratings, window_days = EXCLUDED.window_days, updated_at = now()",
        {"org": org, "kind": kind, "scope_id": scope_id, **{f: values[f] for f in FIELDS}},
    )


async def delete(conn: AsyncConnection[Any], org: str, kind: Kind, scope_id: str) -> bool:
    cur = await conn.execute(
        "DELETE FROM targets WHERE org_id = %(org)s AND scope = %(kind)s AND scope_id = %(scope_id)s",
        {"org": org, "kind": kind, "scope_id": scope_id},
    )
    return cur.rowcount > 0
