"""What the collector refused (the quarantine), counted by reason: the fleet's health beside the kiosks'."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from collector.api import scope
from collector.api.deps import PoolDep
from collector.api.params import SlugQuery
from collector.api.problems import AUTH_RESPONSES
from collector.api.security import Reader
from collector.store import quarantine_counts

router = APIRouter(prefix="/v1/quarantine", tags=["kiosks"])


class RefusedReason(BaseModel):
    reason: str = Field(description="Why the messages were refused, e.g. `invalid_payload`, `unknown_kiosk`.")
    count: int
    last_at: datetime = Field(description="When the last of them arrived.")


class Quarantine(BaseModel):
    since: datetime
    total: int = Field(description="Messages refused since then (all kept in the quarantine table).")
    reasons: list[RefusedReason] = Field(description="Most frequent first.")


@router.get(
    "/reasons",
    response_model=Quarantine,
    responses=AUTH_RESPONSES,
    summary="Messages the collector refused, by reason, over the last days",
    description="A message counts for the organisation of the kiosk it names, else of the organisation its "
    "topic names. Keys bound to an organisation see its messages only.",
)
async def reasons(
    principal: Reader,
    pool: PoolDep,
    org: SlugQuery = None,
    days: Annotated[int, Query(ge=1, le=366, description="Over the last this many days.")] = 7,
) -> Quarantine:
    since = datetime.now(UTC) - timedelta(days=days)
    async with pool.connection() as conn:
        found = await quarantine_counts.by_reason(
            conn, since, org=scope.org_filter(principal, org), scope=principal.scope
        )
    return Quarantine(since=since, total=sum(r["count"] for r in found), reasons=[RefusedReason(**r) for r in found])
