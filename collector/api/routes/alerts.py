"""Alerts: events (reader), subscriptions and their deliveries (admin). What the alerts are and how a webhook
is signed: docs/alerts.md."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Annotated, Literal, Self

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import ConfigDict, Field, HttpUrl, StringConstraints, model_validator
from pydantic.json_schema import SkipJsonSchema

from collector.alerts import views
from collector.alerts.payload import Alert, AlertEvent
from collector.alerts.settings import ADDRESS
from collector.api import scope
from collector.api.deps import PoolDep
from collector.api.params import Instant, SlugQuery
from collector.api.problems import AUTH_RESPONSES, CONFLICT_RESPONSES
from collector.api.routes.registry import handle
from collector.api.schemas import Body, refuse_nulls
from collector.api.security import Admin, Reader
from collector.store import alert_events, alert_subscriptions
from collector.store.registry import RegistryError
from protocol.messages import Slug

router = APIRouter(prefix="/v1/alerts", tags=["alerts"])

SubId = Annotated[str, Path(pattern=r"^sub_[a-z0-9]{12}$", description="Subscription id.")]
Limit = Annotated[int, Query(ge=1, le=1000, description="At most this many, newest first.")]
Before = Annotated[int | None, Query(ge=1, le=2**62, description="Only those with a smaller id (the next page).")]
Language = Literal["it", "en", "fr", "de", "es"]
Email = Annotated[str, StringConstraints(max_length=320, pattern=ADDRESS)]
Name = Annotated[str, Field(max_length=120, pattern=r"^[^\x00-\x1f\x7f]*$")]


class SubscriptionIn(Body):
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [
                {"organisation": "torino", "name": "Ufficio qualità", "webhook": "https://example.org/hooks/mlf"},
                {"organisation": "torino", "site": "torino-centro", "alerts": ["below_target", "kiosk_silent"],
                 "email": "urp@example.org", "languages": ["it", "en"]},
            ],
            "oneOf": [{"required": ["webhook"]}, {"required": ["email"]}],
        },
    )  # fmt: skip

    organisation: Slug | None = Field(
        default=None, description="Whose alerts; a key bound to an organisation subscribes to its own."
    )
    site: Slug | None = Field(default=None, description="Only this site's alerts (its organisation's, if none named).")
    service_point: Slug | None = Field(default=None, description="Only this service point's alerts.")
    alerts: list[Alert] = Field(default=[], max_length=6, description="Which alerts; empty: all of them.")
    webhook: HttpUrl | SkipJsonSchema[None] = Field(default=None, description="POST each alert here (signed JSON).")
    email: Email | SkipJsonSchema[None] = Field(default=None, description="Or mail each alert here.")
    languages: list[Language] = Field(default=["it", "en"], min_length=1, max_length=5, description="E-mail texts.")
    name: Name = Field(default="", description="What it is for, for the people who read the list.")

    @model_validator(mode="before")
    @classmethod
    def _no_nulls(cls, data: object) -> object:
        return refuse_nulls(
            data,
            ("webhook", "email"),
            "'webhook' and 'email' are a URL and an address, never null: leave the other out",
        )

    @model_validator(mode="after")
    def _one_way(self) -> Self:
        if (self.webhook is None) == (self.email is None):
            raise ValueError("give either 'webhook' (a URL) or 'email' (an address)")
        if self.webhook is not None and self.webhook.scheme not in ("http", "https"):
            raise ValueError("a webhook is an http or https URL")
        return self


class CreatedSubscription(views.Subscription):
    secret: str | None = Field(
        description="Webhooks: the key of the HMAC-SHA256 signature of every body. Shown this once: keep it."
    )


class SubscriptionPatch(Body):
    enabled: bool | None = Field(default=None, description="true: enable again (failures forgotten, retried now).")
    alerts: list[Alert] | None = Field(default=None, max_length=6)
    name: Name | None = None


def _alerting_url(request: Request) -> str:
    return str(request.app.state.settings.public_url)


@router.get("/events", response_model=list[AlertEvent], responses=AUTH_RESPONSES, summary="Alert events, newest first")
async def list_events(
    request: Request,
    principal: Reader,
    pool: PoolDep,
    org: SlugQuery = None,
    alert: Alert | None = None,
    service_point: SlugQuery = None,
    since: Annotated[Instant | None, Query(description="Only events from this instant on.")] = None,
    before: Before = None,
    limit: Limit = 100,
) -> list[AlertEvent]:
    async with pool.connection() as conn:
        return await views.events(conn, _alerting_url(request), scope=principal.scope,
                                  org=scope.org_filter(principal, org), alert=alert, service_point=service_point,
                                  since=since, before=before, limit=limit)  # fmt: skip


@router.get("/events/{event_id}", response_model=AlertEvent, responses=AUTH_RESPONSES, summary="One alert event")
async def get_event(
    request: Request, event_id: Annotated[int, Path(ge=1, le=2**62)], principal: Reader, pool: PoolDep
) -> AlertEvent:
    async with pool.connection() as conn:
        try:
            return await views.one_event(conn, _alerting_url(request), event_id, scope=principal.scope)
        except RegistryError as exc:
            raise handle(exc) from None


@router.post(
    "/subscriptions",
    status_code=201,
    response_model=CreatedSubscription,
    responses=CONFLICT_RESPONSES,
    summary="Subscribe a webhook or an e-mail address to alerts (a webhook's secret is shown once)",
    description="E-mails go through the mail server of COLLECTOR_SMTP_* (of the collector that delivers: one "
    "with ingest); without one their deliveries fail, and say so in the delivery log.",
)
async def create_subscription(body: SubscriptionIn, principal: Admin, pool: PoolDep) -> CreatedSubscription:
    org = scope.org_filter(principal, body.organisation)
    sub_id = "sub_" + "".join(secrets.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(12))
    secret = "whsec_" + secrets.token_urlsafe(32) if body.webhook is not None else None
    values = {"id": sub_id, "org_id": org, "site_id": body.site, "service_point_id": body.service_point,
              "alerts": list(body.alerts), "channel": "webhook" if body.webhook else "email",
              "target": str(body.webhook or body.email), "secret": secret, "languages": list(body.languages),
              "name": body.name}  # fmt: skip
    async with pool.connection() as conn:
        if org is not None:
            await scope.organisation(conn, principal, org)
        try:
            await alert_subscriptions.create(conn, values)
            created = await alert_subscriptions.get(conn, sub_id, scope=principal.scope)
        except RegistryError as exc:
            raise handle(exc) from None
    return CreatedSubscription(**views.subscription(created).model_dump(), secret=secret)


@router.get(
    "/subscriptions", response_model=list[views.Subscription], responses=AUTH_RESPONSES, summary="Subscriptions"
)
async def list_subscriptions(principal: Admin, pool: PoolDep, org: SlugQuery = None) -> list[views.Subscription]:
    async with pool.connection() as conn:
        return await views.subscriptions(conn, scope=principal.scope, org=scope.org_filter(principal, org))


async def _one(pool: PoolDep, principal: Admin, sub_id: str) -> views.Subscription:
    async with pool.connection() as conn:
        try:
            return views.subscription(await alert_subscriptions.get(conn, sub_id, scope=principal.scope))
        except RegistryError as exc:
            raise handle(exc) from None


@router.get(
    "/subscriptions/{sub_id}", response_model=views.Subscription, responses=AUTH_RESPONSES, summary="A subscription"
)
async def get_subscription(sub_id: SubId, principal: Admin, pool: PoolDep) -> views.Subscription:
    return await _one(pool, principal, sub_id)


@router.patch(
    "/subscriptions/{sub_id}",
    response_model=views.Subscription,
    responses=AUTH_RESPONSES,
    summary="Enable (again) or disable a subscription, change its alerts or name",
    description="A subscription is disabled by itself after COLLECTOR_ALERTS_MAX_FAILURES failed deliveries in "
    'a row; `{"enabled": true}` enables it again, forgets the failures and sends what waits at once.',
)
async def patch_subscription(
    request: Request, sub_id: SubId, body: SubscriptionPatch, principal: Admin, pool: PoolDep
) -> views.Subscription:
    async with pool.connection() as conn:
        try:
            found = await alert_subscriptions.update(conn, sub_id, scope=principal.scope, enabled=body.enabled,
                                                     alerts=body.alerts, name=body.name)  # fmt: skip
        except RegistryError as exc:
            raise handle(exc) from None
    if body.enabled:
        request.app.state.alerting.wake()
    return views.subscription(found)


@router.delete("/subscriptions/{sub_id}", status_code=204, responses=AUTH_RESPONSES, summary="Unsubscribe")
async def delete_subscription(sub_id: SubId, principal: Admin, pool: PoolDep) -> Response:
    async with pool.connection() as conn:
        try:
            await alert_subscriptions.delete(conn, sub_id, scope=principal.scope)
        except RegistryError as exc:
            raise handle(exc) from None
    return Response(status_code=204)


@router.post(
    "/subscriptions/{sub_id}/test",
    status_code=202,
    response_model=AlertEvent,
    responses=AUTH_RESPONSES,
    summary="Send a test alert to this subscription only",
    description="Queued like any alert: see its delivery in `/v1/alerts/deliveries?subscription=...`.",
)
async def test_subscription(request: Request, sub_id: SubId, principal: Admin, pool: PoolDep) -> AlertEvent:
    sub = await _one(pool, principal, sub_id)
    async with pool.connection() as conn:
        event_id = await alert_events.test(conn, sub_id, sub.organisation, datetime.now(UTC))
        found = await views.one_event(conn, _alerting_url(request), event_id, scope=principal.scope)
    request.app.state.alerting.wake()
    return found


@router.get(
    "/deliveries",
    response_model=list[views.Delivery],
    responses=AUTH_RESPONSES,
    summary="Deliveries of alerts and their attempts (the delivery log), newest first",
)
async def list_deliveries(
    principal: Admin,
    pool: PoolDep,
    org: SlugQuery = None,
    subscription: Annotated[str | None, Query(pattern=r"^sub_[a-z0-9]{12}$")] = None,
    status: Literal["pending", "delivered"] | None = None,
    before: Before = None,
    limit: Limit = 100,
) -> list[views.Delivery]:
    async with pool.connection() as conn:
        return await views.deliveries(
            conn, scope=principal.scope, org=scope.org_filter(principal, org), subscription_id=subscription,
            status=status, before=before, limit=limit,
        )  # fmt: skip
