"""Public results at rest: whether an organisation publishes, and the smallest cell it shows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from psycopg import AsyncConnection

from collector.store.registry import rows

DEFAULT_MIN_COUNT = 10
"""Cells with fewer ratings are suppressed by default: a handful of votes can tell who voted what."""


@dataclass(frozen=True)
class PublicSettings:
    enabled: bool = False
    min_count: int = DEFAULT_MIN_COUNT


async def settings(conn: AsyncConnection[Any], org: str) -> PublicSettings:
    found = await rows(conn, "SELECT enabled, min_count FROM public_results WHERE org_id = %(org)s", {"org": org})
    return PublicSettings(found[0]["enabled"], found[0]["min_count"]) if found else PublicSettings()


async def put(conn: AsyncConnection[Any], org: str, value: PublicSettings) -> None:
    await conn.execute(
        "INSERT INTO public_results (org_id, enabled, min_count) VALUES (%(org)s, %(enabled)s, %(min)s)"
        " ON CONFLICT (org_id) DO UPDATE SET enabled = EXCLUDED.enabled, min_count = EXCLUDED.min_count,"
        " updated_at = now()",
        {"org": org, "enabled": value.enabled, "min": value.min_count},
    )


async def published(conn: AsyncConnection[Any], org: str) -> tuple[dict[str, Any], PublicSettings] | None:
    """The organisation (id, name, timezone) and its settings if it publishes its results; None otherwise, as
    if it did not exist."""
    found = await rows(
        conn,
        "SELECT o.id, o.name, o.timezone, p.min_count FROM organisations o JOIN public_results p ON p.org_id = o.id"
        " WHERE o.id = %(org)s AND p.enabled",
        {"org": org},
    )
    if not found:
        return None
    return found[0], PublicSettings(True, found[0]["min_count"])
