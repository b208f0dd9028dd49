"""Reads for the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from psycopg import AsyncConnection
from psycopg.rows import TupleRow

Conn = AsyncConnection[TupleRow]


@dataclass(frozen=True)
class ServicePointInfo:
    id: str
    org_id: str
    name: str
    timezone: str


@dataclass(frozen=True)
class FaceCounts:
    positive: int
    neutral: int
    negative: int
    misuse: int

    @property
    def total(self) -> int:
        return self.positive + self.neutral + self.negative


async def service_point(conn: AsyncConnection[TupleRow], sp_id: str) -> ServicePointInfo | None:
    cur = await conn.execute(
        "SELECT sp.id, sp.org_id, sp.name, o.timezone FROM service_points sp"
        " JOIN organisations o ON o.id = sp.org_id WHERE sp.id = %s",
        (sp_id,),
    )
    row = await cur.fetchone()
    return ServicePointInfo(*row) if row else None


async def face_counts(conn: AsyncConnection[TupleRow], sp_id: str, start: datetime, end: datetime) -> FaceCounts:
    """Counts per face of one service point in [start, end), exact for any instants."""
    cur = await conn.execute(
        "SELECT count(*) FILTER (WHERE face = 'positive' AND NOT misuse),"
        " count(*) FILTER (WHERE face = 'neutral' AND NOT misuse),"
        " count(*) FILTER (WHERE face = 'negative' AND NOT misuse),"
        " count(*) FILTER (WHERE misuse)"
        " FROM ratings WHERE service_point_id = %s AND pressed_at >= %s AND pressed_at < %s",
        (sp_id, start, end),
    )
    row = await cur.fetchone()
    assert row is not None
    return FaceCounts(*(int(v) for v in row))
