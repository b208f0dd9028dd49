"""Prometheus metrics of the ingest path (`mlf_ingest_*`, `mlf_mqtt_*`), for a key of the whole installation.

They count every organisation's traffic together, so a key bound to one organisation may not read them. A
Prometheus server scrapes with a reader key (`authorization: credentials_file:` in its scrape config).
"""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from collector.api import scope
from collector.api.deps import IngestDep
from collector.api.problems import AUTH_RESPONSES
from collector.api.security import Reader

router = APIRouter(tags=["health"])


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    description="Messages received, ratings stored, duplicates, quarantined messages by reason, batch latency "
    "and lag of the ingest path, in the Prometheus text format. Empty when this process does not ingest. "
    "Needs an admin or reader key bound to no organisation.",
    response_class=Response,
    responses={
        200: {"content": {CONTENT_TYPE_LATEST: {"example": "mlf_ingest_ratings_stored_total 42.0\n"}}},
        **AUTH_RESPONSES,
    },
)
async def metrics(principal: Reader, ingest: IngestDep) -> Response:
    scope.whole_installation(principal, "metrics")
    registry = ingest.metrics.registry if ingest is not None else CollectorRegistry()
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
