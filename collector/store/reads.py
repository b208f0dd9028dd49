"""Reads for the API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from psycopg import AsyncConnection
from psycopg.rows import TupleRow

from collector.store.scope import OrgScope

Conn = AsyncConnection[TupleRow]


@dataclass(frozen=True)
class ServicePointInfo:
    id: str
    org_id: str
    name: str
    timezone: str


class FaceCounts(NamedTuple):
    """Counts per face, misuse apart (a tuple: the overview makes thousands of them)."""

    positive: int
    neutral: int
    negative: int
    misuse: int

    @property
    def total(self) -> int:
        return self.positive + self.neutral + self.negative


async def ping(conn: AsyncConnection[TupleRow]) -> None:
    """A round trip: raises if the database does not answer."""
    await conn.execute("SELECT 1")


async def service_point(conn: AsyncConnection[TupleRow], sp_id: str, *, scope: OrgScope) -> ServicePointInfo | None:
    cur = await conn.execute(
        "SELECT sp.id, sp.org_id, sp.name, o.timezone FROM service_points sp"
        " JOIN organisations o ON o.id = sp.org_id"
        " WHERE sp.id = %(id)s AND (%(scope_org)s::text IS NULL OR sp.org_id = %(scope_org)s)",
        {"id": sp_id, **scope.params},
    )
    row = await cur.fetchone()
    return ServicePointInfo(*row) if row else None
