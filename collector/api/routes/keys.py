"""API keys: create (the token is shown once), list, revoke.

A key bound to an organisation manages that organisation's keys only: the keys it makes are bound to it
(when the body names none, they are bound to it all the same), and it neither lists nor revokes others.
Only admin keys make keys, so no key makes one of a higher role than its own.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, ConfigDict, Field

from collector.api import scope
from collector.api.deps import PoolDep
from collector.api.problems import AUTH_RESPONSES, CONFLICT_RESPONSES, ProblemError
from collector.api.routes.registry import Name, handle
from collector.api.schemas import Body, Timestamp
from collector.api.security import Admin, Role, new_key
from collector.store import keys
from collector.store.registry import RegistryError
from protocol.messages import Slug

router = APIRouter(prefix="/v1/keys", tags=["access"])


class KeyIn(Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"name": "Power BI of Roma Capitale", "role": "reader", "organisation": "roma"}]
        }
    )

    name: Name = Field(description="Who or what uses it.")
    role: Role = Field(
        description="admin, reader (aggregates only), ingest (may only send ratings) or served (may only post "
        "citizens served)."
    )
    organisation: Slug | None = Field(
        default=None,
        description="Bind the key to one organisation. A key bound to one makes keys bound to it, named or not.",
    )
    service_point: Slug | None = Field(
        default=None,
        description="Ingest keys only: bind the key to one service point; it may send that point's ratings only.",
    )


class Key(BaseModel):
    id: str
    name: str
    role: Role
    organisation: str | None
    service_point: str | None
    created_at: Timestamp
    revoked_at: Timestamp | None


class CreatedKey(Key):
    token: str = Field(description="`Authorization: Bearer <token>`. Shown once: only a hash is kept.")


@router.post("", status_code=201, response_model=CreatedKey, responses=AUTH_RESPONSES, summary="Create an API key")
async def create_key(body: KeyIn, principal: Admin, pool: PoolDep) -> CreatedKey:
    org = scope.org_filter(principal, body.organisation)
    key = new_key()
    async with pool.connection() as conn:
        try:
            await keys.create(
                conn,
                key.key_id,
                body.name,
                body.role,
                org,
                key.secret_sha256,
                service_point=body.service_point,
                scope=principal.scope,
            )
        except RegistryError as exc:
            raise handle(exc) from None
        row = (await keys.listing(conn, scope=principal.scope, key_id=key.key_id))[0]
    return CreatedKey(**row, token=key.token)


@router.get("", response_model=list[Key], responses=AUTH_RESPONSES, summary="API keys (never their secrets)")
async def list_keys(principal: Admin, pool: PoolDep) -> list[Key]:
    async with pool.connection() as conn:
        return [Key(**r) for r in await keys.listing(conn, scope=principal.scope)]


@router.delete("/{key_id}", status_code=204, responses=CONFLICT_RESPONSES, summary="Revoke an API key")
async def revoke_key(
    key_id: Annotated[str, Path(pattern=r"^[a-z0-9]{12}$")], principal: Admin, pool: PoolDep
) -> Response:
    if key_id == principal.key_id:
        raise ProblemError(409, "conflict", "Cannot revoke itself", "revoke this key with another admin key")
    async with pool.connection() as conn:
        if not await keys.revoke(conn, key_id, scope=principal.scope):
            raise ProblemError(404, "not-found", "Key not found", f"no active key {key_id!r}")
    return Response(status_code=204)
