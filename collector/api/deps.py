"""Typed dependencies shared by the routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from psycopg_pool import AsyncConnectionPool

from collector.config import CollectorSettings
from collector.pipeline import IngestPipeline


def get_pool(request: Request) -> AsyncConnectionPool:
    pool: AsyncConnectionPool = request.app.state.pool
    return pool


def get_settings(request: Request) -> CollectorSettings:
    settings: CollectorSettings = request.app.state.settings
    return settings


def get_ingest(request: Request) -> IngestPipeline | None:
    ingest: IngestPipeline | None = request.app.state.ingest
    return ingest


PoolDep = Annotated[AsyncConnectionPool, Depends(get_pool)]
SettingsDep = Annotated[CollectorSettings, Depends(get_settings)]
IngestDep = Annotated[IngestPipeline | None, Depends(get_ingest)]
