"""Typed dependencies shared by the routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from psycopg_pool import AsyncConnectionPool

from collector.api.ingest_port import IngestPort
from collector.config import CollectorSettings


def get_pool(request: Request) -> AsyncConnectionPool:
    pool: AsyncConnectionPool = request.app.state.pool
    return pool


def get_settings(request: Request) -> CollectorSettings:
    settings: CollectorSettings = request.app.state.settings
    return settings


def get_ingest(request: Request) -> IngestPort | None:
    """The ingest pipeline this process runs beside the API, or None (`--role api`, tests)."""
    ingest: IngestPort | None = request.app.state.ingest
    return ingest


PoolDep = Annotated[AsyncConnectionPool, Depends(get_pool)]
SettingsDep = Annotated[CollectorSettings, Depends(get_settings)]
IngestDep = Annotated[IngestPort | None, Depends(get_ingest)]
