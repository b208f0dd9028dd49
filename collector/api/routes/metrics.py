"""Prometheus metrics of the ingest path (`mlf_ingest_*`, `mlf_mqtt_*`)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from collector.api.deps import IngestDep

router = APIRouter(tags=["health"])


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    description="Messages received, ratings stored, duplicates, quarantined messages by reason, batch latency "
    "and lag of the ingest path, in the Prometheus text format. Empty when this process does not ingest.",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {"example": "mlf_ingest_ratings_stored_total 42.0\n"}}}},
)
async def metrics(ingest: IngestDep) -> Response:
    registry = ingest.metrics.registry if ingest is not None else CollectorRegistry()
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
