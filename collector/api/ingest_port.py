"""What the API needs of the ingest pipeline it may run beside, and nothing more.

`mlf-collector serve --role all` (the default) runs both in one process and hands the pipeline to the app;
`--role api` runs the API alone (no pipeline: None); `--role ingest` runs the pipeline with only the
operators' endpoints (`/healthz`, `/metrics`). The API never imports the pipeline, nor paho through it.
"""

from __future__ import annotations

from typing import Literal, Protocol

from prometheus_client import CollectorRegistry

from collector.store.writes import WriteResult

ProcessRole = Literal["all", "api", "ingest"]
PROCESS_ROLES: tuple[ProcessRole, ...] = ("all", "api", "ingest")


class BrokerLinkState(Protocol):
    @property
    def connected(self) -> bool: ...

    @property
    def last_error(self) -> str | None: ...


class IngestMetricsSource(Protocol):
    @property
    def registry(self) -> CollectorRegistry: ...


class IngestPort(Protocol):
    @property
    def transport(self) -> BrokerLinkState:
        """The MQTT connection, for /healthz."""

    def problems(self) -> list[str]:
        """Why ingest is not ready, one line each (a writer down or failing, a lag), for /healthz."""

    @property
    def metrics(self) -> IngestMetricsSource:
        """The ingest path's Prometheus metrics, for /metrics."""

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def publish_watermarks(self, result: WriteResult) -> None:
        """Publish the kiosks' ack watermarks after ratings were stored over HTTP."""

    def publish_config(self, topic: str, payload: bytes) -> bool:
        """Publish a kiosk's config (retained) on the pipeline's MQTT connection; False if the MQTT client
        refused it (all its packet ids await the broker's PUBACK): not published, offer it again later."""
