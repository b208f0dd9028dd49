"""Targets: what is set (per service point, per service, the organisation's default) and which one applies.

The one that applies to a service point is its own, else its service's (when the view is one service), else
its organisation's default, else the built-in default: written once, as the SQL function `mlf_target`
(migration 0080, which Grafana's panels use too), joined into the reads that need it (`applying_columns`)
and read for one service point by `applying`. `DEFAULT_TARGET` states the built-in default for Python
(command-line defaults, documentation); a test checks that the function agrees.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from psycopg import AsyncConnection, sql

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


def applying_columns(org: sql.Composable, service_point: sql.Composable, service: sql.Composable) -> sql.Composable:
    """`CROSS JOIN LATERAL` of `mlf_target` (migration 0080, the one home of the precedence) for the row's
    organisation and service point, as columns `t_min_green_share`, ..., `t_window_days`, `t_source`."""
    return sql.SQL(
        " CROSS JOIN LATERAL (SELECT min_green_share AS t_min_green_share, max_red_share AS t_max_red_share,"
        " min_ratings AS t_min_ratings, window_days AS t_window_days, source AS t_source"
        " FROM mlf_target({}, {}, {})) AS t"
    ).format(org, service_point, service)


async def applying(conn: AsyncConnection[Any], org: str, service_point: str, service: str | None) -> Target:
    """The target that applies to one service point (and service), by the same rule as the overview."""
    cur = await conn.execute(
        "SELECT * FROM mlf_target(%(org)s, %(sp)s, %(service)s)", {"org": org, "sp": service_point, "service": service}
    )
    row = await cur.fetchone()
    assert row is not None
    return Target(*row)


async def applying_each(conn: AsyncConnection[Any], org: str, views: list[tuple[str, str | None]]) -> list[Target]:
    """The target of each (service point or '', service or None) of an organisation, in one round trip: ''
    for a view of several service points (a site, a service, the organisation)."""
    if not views:
        return []
    cur = await conn.execute(
        "SELECT t.* FROM unnest(%(sps)s::text[], %(services)s::text[]) WITH ORDINALITY AS v(sp, service, i)"
        " CROSS JOIN LATERAL mlf_target(%(org)s, v.sp, v.service) AS t ORDER BY v.i",
        {"org": org, "sps": [v[0] for v in views], "services": [v[1] for v in views]},
    )
    return [Target(*row) for row in await cur.fetchall()]


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
