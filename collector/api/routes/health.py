"""Liveness and readiness: is the broker connected, does the database answer."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from collector.api.deps import IngestDep, PoolDep
from collector.store import reads

router = APIRouter(tags=["health"])


class Check(BaseModel):
    ok: bool
    detail: str | None = None


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    database: Check
    broker: Check


@router.get(
    "/healthz",
    response_model=Health,
    summary="Health of the collector",
    responses={503: {"model": Health, "description": "The database or the broker is unreachable."}},
)
async def healthz(pool: PoolDep, ingest: IngestDep) -> JSONResponse:
    try:
        async with pool.connection(timeout=2) as conn:
            await reads.ping(conn)
        database = Check(ok=True)
    except Exception as exc:  # any failure here is the answer, not an error of ours
        database = Check(ok=False, detail=str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc))
    if ingest is None:
        broker = Check(ok=True, detail="ingest disabled")
    elif ingest.transport.connected:
        broker = Check(ok=True, detail=ingest.db_error and f"ingest paused: {ingest.db_error}")
    else:
        broker = Check(ok=False, detail=ingest.transport.last_error or "not connected")
    health = Health(status="ok" if database.ok and broker.ok else "degraded", database=database, broker=broker)
    return JSONResponse(health.model_dump(), status_code=200 if health.status == "ok" else 503)
