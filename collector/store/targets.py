"""Which target applies to a service point: its own, its service's (when the view is one service), its
organisation's default, or the built-in default. Written once, as SQL joined into the reads that need it."""

from __future__ import annotations

from psycopg import sql

from collector.flags import DEFAULT_TARGET

_FIELDS = ("min_green_share", "max_red_share", "min_ratings", "window_days")


def columns(prefix: str = "t") -> tuple[sql.Composable, list[object]]:
    """`<prefix>_min_green_share, ..._window_days, <prefix>_source`, from the joins of `joins()`."""
    parts = [
        sql.SQL("coalesce(tsp.{f}, tsv.{f}, tor.{f}, %s) AS {out}").format(
            f=sql.Identifier(field), out=sql.Identifier(f"{prefix}_{field}")
        )
        for field in _FIELDS
    ]
    parts.append(
        sql.SQL(
            "CASE WHEN tsp.org_id IS NOT NULL THEN 'service_point' WHEN tsv.org_id IS NOT NULL THEN 'service'"
            " WHEN tor.org_id IS NOT NULL THEN 'organisation' ELSE 'default' END AS {}"
        ).format(sql.Identifier(f"{prefix}_source"))
    )
    return sql.SQL(", ").join(parts), [getattr(DEFAULT_TARGET, field) for field in _FIELDS]


def joins(
    org: sql.Composable, service_point: sql.Composable, service: str | None
) -> tuple[sql.Composable, list[object]]:
    """LEFT JOINs of the three kinds of target for the row's organisation and service point."""
    return (
        sql.SQL(
            " LEFT JOIN targets tsp ON tsp.org_id = {org} AND tsp.scope = 'service_point' AND tsp.scope_id = {sp}"
            " LEFT JOIN targets tsv ON tsv.org_id = {org} AND tsv.scope = 'service' AND tsv.scope_id = %s"
            " LEFT JOIN targets tor ON tor.org_id = {org} AND tor.scope = 'organisation' AND tor.scope_id = ''"
        ).format(org=org, sp=service_point),
        [service or ""],
    )
