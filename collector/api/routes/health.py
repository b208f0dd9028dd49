"""Liveness and readiness: does the database answer, is the broker connected, is ingest keeping up."""

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
    ingest: Check


@router.get(
    "/healthz",
    response_model=Health,
    summary="Health of the collector",
    responses={
        503: {
            "model": Health,
            "description": "Not ready: the database or the broker is unreachable, an ingest writer is down or "
            "failing, or ingest lags more than `COLLECTOR_HEALTH_MAX_LAG_S` behind; `detail` says which.",
        }
    },
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
        writing = Check(ok=True, detail="ingest disabled")
    else:
        connected = ingest.transport.connected
        broker = Check(ok=connected, detail=None if connected else ingest.transport.last_error or "not connected")
        problems = ingest.problems()
        writing = Check(ok=not problems, detail="; ".join(problems) or None)
    ready = database.ok and broker.ok and writing.ok
    health = Health(status="ok" if ready else "degraded", database=database, broker=broker, ingest=writing)
    return JSONResponse(health.model_dump(), status_code=200 if ready else 503)
