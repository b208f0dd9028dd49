"""Kiosks: registration (MQTT credentials shown once), new credentials, and the fleet's status."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from collector.api import scope
from collector.api.deps import PoolDep
from collector.api.params import SlugQuery
from collector.api.problems import AUTH_RESPONSES, CONFLICT_RESPONSES, ProblemError
from collector.api.routes.registry import handle
from collector.api.schemas import Body, Timestamp
from collector.api.security import Admin, Reader
from collector.provisioning import broker_files
from collector.store import kiosks
from collector.store.registry import RegistryError
from protocol import TopicKind, build_topic
from protocol.messages import SLUG_PATTERN, Slug

log = logging.getLogger(__name__)
router = APIRouter(prefix="/v1/kiosks", tags=["kiosks"])

KioskId = Annotated[str, Path(pattern=SLUG_PATTERN, description="Kiosk id (also its MQTT user name).")]


class KioskIn(Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "roma-anagrafe-k3",
                    "service_point": "roma-anagrafe-sportello-3",
                    "services": [],
                    "cooldown_s": 3.0,
                }
            ]
        }
    )

    id: Slug
    service_point: Slug
    services: list[Slug] = Field(
        default_factory=list,
        max_length=12,
        description="Services offered; empty: none asked.",
        json_schema_extra={"uniqueItems": True},
    )
    cooldown_s: float = Field(default=3.0, ge=0, le=600, description="Minimum interval between accepted presses.")


class MqttCredentials(BaseModel):
    username: str = Field(description="The kiosk id.")
    password: str = Field(description="Shown once: only a hash is kept.")
    client_id: str
    topics: dict[str, str] = Field(description="The kiosk's topics by kind.")


class Registered(BaseModel):
    kiosk: str
    organisation: str
    service_point: str
    mqtt: MqttCredentials
    provisioned: bool = Field(
        description="True once the broker knows the credentials; false: it will shortly (see the collector's log)."
    )


def _credentials(org: str, kiosk_id: str, password: str) -> MqttCredentials:
    topics = {kind.value: build_topic(org, kiosk_id, kind) for kind in TopicKind}
    return MqttCredentials(username=kiosk_id, password=password, client_id=kiosk_id, topics=topics)


async def _apply(request: Request) -> bool:
    """Write the broker files and publish configs before answering, so the kiosk can connect at once.
    False if that failed now (the reconciler retries every interval; the kiosk is registered anyway)."""
    reconciler = getattr(request.app.state, "reconciler", None)
    if reconciler is None:
        return False
    try:
        await reconciler.now()
    except broker_files.BrokerReloadError:
        return False  # logged where it happened; the reconciler retries
    except Exception:  # the registration stands; its password must still reach the caller
        log.exception("kiosk provisioning failed; retrying in the background")
        return False
    return True


@router.post(
    "",
    status_code=201,
    response_model=Registered,
    responses=CONFLICT_RESPONSES,
    summary="Register a kiosk; the answer holds its MQTT password, shown this once",
)
async def register(body: KioskIn, principal: Admin, pool: PoolDep, request: Request) -> Registered:
    password = broker_files.new_password()
    async with pool.connection() as conn:
        try:
            created = await kiosks.create(
                conn,
                body.id,
                body.service_point,
                broker_files.mosquitto_hash(password),
                body.services,
                body.cooldown_s,
                scope=principal.scope,
            )
        except RegistryError as exc:
            raise handle(exc) from None
    provisioned = await _apply(request)
    org = created["org_id"]
    mqtt = _credentials(org, body.id, password)
    return Registered(
        kiosk=body.id, organisation=org, service_point=body.service_point, mqtt=mqtt, provisioned=provisioned
    )


@router.post(
    "/{kiosk_id}/credentials",
    response_model=Registered,
    responses=AUTH_RESPONSES,
    summary="Give a kiosk a new MQTT password (the old one stops working)",
)
async def new_credentials(kiosk_id: KioskId, principal: Admin, pool: PoolDep, request: Request) -> Registered:
    password = broker_files.new_password()
    async with pool.connection() as conn:
        try:
            row = await kiosks.set_password(
                conn, kiosk_id, broker_files.mosquitto_hash(password), scope=principal.scope
            )
        except RegistryError as exc:
            raise handle(exc) from None
    provisioned = await _apply(request)
    return Registered(
        kiosk=kiosk_id,
        organisation=row["org_id"],
        service_point=row["service_point_id"] or "",
        mqtt=_credentials(row["org_id"], kiosk_id, password),
        provisioned=provisioned,
    )


class KioskSettingsIn(Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"services": ["carta-identita", "anagrafe"], "cooldown_s": 5, "languages": ["it", "en"]}]
        }
    )

    services: list[Slug] = Field(
        default_factory=list,
        max_length=12,
        description="Services offered, in this order.",
        json_schema_extra={"uniqueItems": True},
    )
    cooldown_s: float = Field(default=3.0, ge=0, le=600, description="Minimum interval between accepted presses.")
    languages: list[Annotated[str, Field(pattern=r"^[a-z]{2}$")]] = Field(
        default_factory=lambda: ["it", "en"],
        min_length=1,
        max_length=8,
        description="Languages shown, first first.",
        json_schema_extra={"uniqueItems": True},
    )


class KioskSettingsOut(KioskSettingsIn):
    kiosk: str
    config_revision: int = Field(description="Revision of the config now published for it.")


@router.put(
    "/{kiosk_id}/settings",
    response_model=KioskSettingsOut,
    responses=AUTH_RESPONSES,
    summary="Change what a kiosk offers; it gets a new config revision on its retained topic",
)
async def put_settings(
    kiosk_id: KioskId, body: KioskSettingsIn, principal: Admin, pool: PoolDep, request: Request
) -> KioskSettingsOut:
    if len(set(body.languages)) != len(body.languages):
        raise ProblemError(422, "invalid-request", "Invalid request", "languages contains duplicates")
    async with pool.connection() as conn:
        try:
            await kiosks.put_settings(
                conn, kiosk_id, body.services, body.cooldown_s, body.languages, scope=principal.scope
            )
        except RegistryError as exc:
            raise handle(exc) from None
    await _apply(request)
    async with pool.connection() as conn:
        revision = await kiosks.config_revision(conn, kiosk_id)
    return KioskSettingsOut(**body.model_dump(), kiosk=kiosk_id, config_revision=revision)


class InstanceSeen(BaseModel):
    instance: UUID = Field(description="A kiosk outbox behind this id (the nil UUID: ratings that named none).")
    first_seen_at: Timestamp
    last_seen_at: Timestamp
    acked_seq: int = Field(description="Its watermark: stored without gaps up to this sequence number.")
    max_seq: int = Field(description="Its highest sequence number accounted for.")


class IdentityConflict(BaseModel):
    since: Timestamp = Field(description="When the collector noticed more than one device behind this kiosk id.")
    reason: Literal["two_instances", "sequence_reused", "session_takeover"] = Field(
        description="two_instances: two outboxes heard at once; sequence_reused: one outbox's numbers used twice "
        "(a copied outbox, or two kiosks that send no instance); session_takeover: the kiosk's broker connection "
        "was taken by another client with its id."
    )
    instances: list[InstanceSeen] = Field(description="Instances heard since the conflict was last cleared.")


class KioskStatus(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "roma-anagrafe-k3",
                    "organisation": "roma",
                    "service_point": "roma-anagrafe-sportello-3",
                    "service_point_name": "Anagrafe, sportello 3",
                    "online": True,
                    "status_at": "2026-11-23T07:58:02Z",
                    "last_seen_at": "2026-11-23T09:45:00Z",
                    "silent_for_s": 12.5,
                    "software_version": "0.1.0",
                    "outbox_depth": 0,
                    "oldest_pending_age_s": None,
                    "instance": "3f2a9c64-1b7e-4d0a-8c55-0e9d7b6a4f21",
                    "acked_seq": 1204,
                    "last_seq": 1204,
                    "open_gaps": 0,
                    "missing_ratings": 0,
                    "lost_ratings": 0,
                    "clock_skew_ms": -140,
                    "config_revision": 7,
                    "config_revision_in_use": 7,
                    "config_error": None,
                    "identity_conflict": None,
                }
            ]
        }
    )

    id: str
    organisation: str
    service_point: str | None
    service_point_name: str | None = Field(description="The service point's name, for people.")
    online: bool | None = Field(description="From the retained status topic; null if never reported.")
    status_at: Timestamp | None
    last_seen_at: Timestamp | None = Field(description="Last message of any kind received from it.")
    silent_for_s: float | None = Field(description="Seconds since then.")
    software_version: str | None
    outbox_depth: int | None = Field(
        description="Presses not yet confirmed, from its last heartbeat; 0 once the watermark covers what it reported."
    )
    oldest_pending_age_s: float | None = Field(
        description="Age of the oldest of them now (as reported, plus the time since); null once covered."
    )
    instance: UUID | None = Field(description="The kiosk outbox heard from last (see docs/mqtt.md).")
    acked_seq: int = Field(description="That instance is stored without gaps up to this sequence number.")
    last_seq: int | None = Field(description="Highest sequence number it reported.")
    open_gaps: int = Field(description="Holes in its sequence not yet filled.")
    missing_ratings: int = Field(description="Ratings those holes stand for.")
    lost_ratings: int = Field(
        description="Ratings closed as lost: the kiosk deleted them under an earlier watermark and the database no "
        "longer has them (restored to an older point: deploy/backup/README.md). Never counted in the holes above."
    )
    clock_skew_ms: int | None = Field(description="Its clock minus ours, at its last heartbeat.")
    config_revision: int | None = Field(description="Revision of the config we publish for it.")
    config_revision_in_use: int | None = Field(description="Revision it reported using.")
    config_error: str | None = Field(description="Why it rejected the last config, if it did.")
    identity_conflict: IdentityConflict | None = Field(
        description="More than one device uses this kiosk id; null when not (or cleared by an operator)."
    )


@router.get(
    "",
    response_model=list[KioskStatus],
    responses=AUTH_RESPONSES,
    summary="The fleet: online, last seen, outbox depth, open gaps, clock skew, config in use",
)
async def fleet(
    principal: Reader,
    pool: PoolDep,
    org: SlugQuery = None,
    site: SlugQuery = None,
    service_point: SlugQuery = None,
) -> list[KioskStatus]:
    org = scope.org_filter(principal, org)
    async with pool.connection() as conn:
        found = await kiosks.fleet(conn, scope=principal.scope, org=org, site=site, service_point=service_point)
    now = datetime.now(UTC)
    return [_status(r, now) for r in found]


def _status(row: dict[str, Any], now: datetime) -> KioskStatus:
    conflict_columns = ("identity_conflict_since", "identity_conflict_reason", "instances")
    since, reason, instances = (row.pop(k) for k in conflict_columns)
    conflict = IdentityConflict(since=since, reason=reason, instances=instances or []) if since else None
    silent = (now - row["last_seen_at"]).total_seconds() if row["last_seen_at"] else None
    return KioskStatus(**row, silent_for_s=silent, identity_conflict=conflict)
