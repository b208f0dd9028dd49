"""Improvement actions: what was changed, from when, by which role, and whether it worked."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Self

from fastapi import APIRouter, Path, Query, Response
from pydantic import ConfigDict, Field, model_validator
from pydantic.json_schema import SkipJsonSchema

from collector.api import scope
from collector.api.deps import PoolDep
from collector.api.params import LocalDate, SlugQuery
from collector.api.problems import AUTH_RESPONSES
from collector.api.routes.registry import OrgId, handle
from collector.api.schemas import Body, WholeNumber, refuse_nulls
from collector.api.security import Admin, Reader
from collector.insight import actions as measured
from collector.insight.actions import ActionOut
from collector.store import actions
from collector.store.registry import RegistryError
from protocol.messages import Slug

router = APIRouter(prefix="/v1/organisations", tags=["improvement actions"])

ActionId = Annotated[int, Path(ge=1, le=2**62, description="Action id.")]
Text = r"^[^\x00-\x09\x0b-\x1f\x7f]*$"


class ActionIn(Body):
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [{"service_point": "torino-sportello-1", "taken_on": "2026-10-05",
                          "role": "responsabile ufficio", "description": "Eliminacode con prenotazione via app",
                          "expected_effect": "meno rossi per il tempo di attesa"}],
            "anyOf": [{"required": ["service_point"]}, {"required": ["service"]}],
        },
    )  # fmt: skip

    service_point: Slug | SkipJsonSchema[None] = Field(default=None, description="Where it was changed.")
    service: Slug | SkipJsonSchema[None] = Field(
        default=None, description="Or for which service (at every service point of the organisation)."
    )
    taken_on: LocalDate = Field(strict=False, description="Local day from which the change is in place.")
    role: str = Field(
        min_length=1, max_length=80, pattern=r"^[^\x00-\x1f\x7f]*\S[^\x00-\x1f\x7f]*$",
        description="Who acted, as a role (\"responsabile ufficio\"), never a person's name.",
        examples=["responsabile ufficio"],
    )  # fmt: skip
    description: str = Field(
        min_length=1, max_length=2000, pattern=r"^[^\x00]*\S[^\x00]*$", description="What was changed."
    )
    expected_effect: str = Field(default="", max_length=500, pattern=Text, description="What it should change.")
    window_days: WholeNumber = Field(
        default=28, ge=7, le=91, multiple_of=7, description="Length of the before and after windows: whole weeks."
    )

    @model_validator(mode="before")
    @classmethod
    def _no_nulls(cls, data: object) -> object:
        return refuse_nulls(
            data,
            ("service_point", "service"),
            "'service_point' and 'service' are ids, never null: leave out the one you do not give",
        )

    @model_validator(mode="after")
    def _where(self) -> Self:
        if self.service_point is None and self.service is None:
            raise ValueError("give 'service_point', 'service', or both")
        return self


@router.post(
    "/{org}/actions",
    status_code=201,
    response_model=ActionOut,
    responses=AUTH_RESPONSES,
    summary="Record an improvement action (its effect is measured as data comes)",
)
async def record_action(org: OrgId, body: ActionIn, principal: Admin, pool: PoolDep) -> ActionOut:
    async with pool.connection() as conn:
        await scope.organisation(conn, principal, org)
        try:
            action_id = await actions.create(conn, org, {
                "service_point_id": body.service_point, "service_id": body.service, "taken_on": body.taken_on,
                "role": body.role.strip(), "description": body.description.strip(),
                "expected_effect": body.expected_effect.strip(), "window_days": body.window_days,
            })  # fmt: skip
            row = await actions.get(conn, action_id, scope=principal.scope, org=org)
        except RegistryError as exc:
            raise handle(exc) from None
        return await measured.view(conn, row, datetime.now(UTC))


@router.get(
    "/{org}/actions",
    response_model=list[ActionOut],
    responses=AUTH_RESPONSES,
    summary="Improvement actions, newest first, each with green and red before and after and a verdict",
    description="Before and after: equal windows of whole weeks (the same weekdays), the hours the service point "
    "was open only, whole hours that are over; shares with 95% Wilson intervals, differences with 95% intervals "
    "by Newcombe's hybrid score method. Verdict: improved, worse, no_clear_change, not_enough_data.",
)
async def list_actions(
    org: OrgId,
    principal: Reader,
    pool: PoolDep,
    service_point: SlugQuery = None,
    since: Annotated[LocalDate | None, Query(description="Taken on or after this local day.")] = None,
) -> list[ActionOut]:
    async with pool.connection() as conn:
        await scope.organisation(conn, principal, org)
        return await measured.recorded(conn, org, datetime.now(UTC), service_point=service_point, since=since)


@router.get("/{org}/actions/{action_id}", response_model=ActionOut, responses=AUTH_RESPONSES, summary="An action")
async def get_action(org: OrgId, action_id: ActionId, principal: Reader, pool: PoolDep) -> ActionOut:
    async with pool.connection() as conn:
        await scope.organisation(conn, principal, org)
        try:
            row = await actions.get(conn, action_id, scope=principal.scope, org=org)
        except RegistryError as exc:
            raise handle(exc) from None
        return await measured.view(conn, row, datetime.now(UTC))


@router.delete("/{org}/actions/{action_id}", status_code=204, responses=AUTH_RESPONSES, summary="Remove an action")
async def delete_action(org: OrgId, action_id: ActionId, principal: Admin, pool: PoolDep) -> Response:
    async with pool.connection() as conn:
        await scope.organisation(conn, principal, org)
        try:
            await actions.delete(conn, action_id, scope=principal.scope, org=org)
        except RegistryError as exc:
            raise handle(exc) from None
    return Response(status_code=204)
