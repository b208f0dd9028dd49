"""Targets: per service point, per service, or the organisation's default."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response
from pydantic import ConfigDict, Field

from collector.api import scope
from collector.api.deps import PoolDep
from collector.api.problems import AUTH_RESPONSES, ProblemError
from collector.api.routes.registry import OrgId, handle
from collector.api.schemas import Body, WholeNumber
from collector.api.security import Admin, Reader
from collector.store import targets
from collector.store.registry import RegistryError
from collector.store.targets import Kind
from protocol.messages import SLUG_PATTERN

router = APIRouter(prefix="/v1/organisations", tags=["targets"])

ScopeId = Annotated[str, Path(pattern=SLUG_PATTERN, description="Service or service point id.")]


class TargetIn(Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"min_green_share": 0.8, "max_red_share": 0.08, "min_ratings": 50, "window_days": 28}]
        }
    )

    min_green_share: float = Field(
        ge=0, le=1, description="Below target when even the 95% upper bound of green is under it."
    )
    max_red_share: float = Field(
        ge=0, le=1, description="Below target when even the 95% lower bound of red is over it."
    )
    min_ratings: WholeNumber = Field(default=30, ge=1, le=1_000_000, description="Fewer ratings: not enough data.")
    window_days: WholeNumber = Field(default=28, ge=1, le=366, description="Evaluation window: the last N local days.")


class TargetOut(TargetIn):
    scope: Kind
    scope_id: str = Field(description="The service or service point; empty for the organisation default.")


async def _put(pool: PoolDep, principal: Admin, org: str, kind: Kind, scope_id: str, body: TargetIn) -> TargetOut:
    async with pool.connection() as conn:
        await scope.organisation(conn, principal, org)
        try:
            await targets.put(conn, org, kind, scope_id, body.model_dump())
        except RegistryError as exc:
            raise handle(exc) from None
    return TargetOut(**body.model_dump(), scope=kind, scope_id=scope_id)


async def _delete(pool: PoolDep, principal: Admin, org: str, kind: Kind, scope_id: str) -> Response:
    async with pool.connection() as conn:
        await scope.organisation(conn, principal, org)
        deleted = await targets.delete(conn, org, kind, scope_id)
    if not deleted:
        raise ProblemError(404, "not-found", "Target not found", f"no {kind} target {scope_id!r} in {org!r}")
    return Response(status_code=204)


@router.get("/{org}/targets", response_model=list[TargetOut], responses=AUTH_RESPONSES, summary="Targets set")
async def list_targets(org: OrgId, principal: Reader, pool: PoolDep) -> list[TargetOut]:
    async with pool.connection() as conn:
        await scope.organisation(conn, principal, org)
        return [TargetOut(**r) for r in await targets.listing(conn, org)]


@router.put(
    "/{org}/targets/default",
    response_model=TargetOut,
    responses=AUTH_RESPONSES,
    summary="Set the organisation's default target",
)
async def put_default(org: OrgId, body: TargetIn, principal: Admin, pool: PoolDep) -> TargetOut:
    return await _put(pool, principal, org, "organisation", "", body)


@router.delete(
    "/{org}/targets/default",
    status_code=204,
    responses=AUTH_RESPONSES,
    summary="Remove the default (the built-in one applies)",
)
async def delete_default(org: OrgId, principal: Admin, pool: PoolDep) -> Response:
    return await _delete(pool, principal, org, "organisation", "")


@router.put(
    "/{org}/targets/services/{scope_id}",
    response_model=TargetOut,
    responses=AUTH_RESPONSES,
    summary="Set a service's target (applies when the overview is filtered by that service)",
)
async def put_service(org: OrgId, scope_id: ScopeId, body: TargetIn, principal: Admin, pool: PoolDep) -> TargetOut:
    return await _put(pool, principal, org, "service", scope_id, body)


@router.delete(
    "/{org}/targets/services/{scope_id}", status_code=204, responses=AUTH_RESPONSES, summary="Remove a service's target"
)
async def delete_service(org: OrgId, scope_id: ScopeId, principal: Admin, pool: PoolDep) -> Response:
    return await _delete(pool, principal, org, "service", scope_id)


@router.put(
    "/{org}/targets/service-points/{scope_id}",
    response_model=TargetOut,
    responses=AUTH_RESPONSES,
    summary="Set a service point's own target (the most specific)",
)
async def put_point(org: OrgId, scope_id: ScopeId, body: TargetIn, principal: Admin, pool: PoolDep) -> TargetOut:
    return await _put(pool, principal, org, "service_point", scope_id, body)


@router.delete(
    "/{org}/targets/service-points/{scope_id}",
    status_code=204,
    responses=AUTH_RESPONSES,
    summary="Remove a service point's target",
)
async def delete_point(org: OrgId, scope_id: ScopeId, principal: Admin, pool: PoolDep) -> Response:
    return await _delete(pool, principal, org, "service_point", scope_id)
