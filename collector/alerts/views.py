"""What people see of the alerting: events, subscriptions, deliveries, as data. The API returns these very
functions' answers; a board page is one template over them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from psycopg import AsyncConnection
from pydantic import BaseModel, Field

from collector.alerts.payload import Alert, AlertEvent, event
from collector.api.schemas import Timestamp
from collector.store import alert_deliveries, alert_events, alert_subscriptions
from collector.store.registry import not_found
from collector.store.scope import OrgScope


class Subscription(BaseModel):
    id: str
    organisation: str | None = Field(description="null: every organisation's alerts (an operator's).")
    site: str | None
    service_point: str | None
    alerts: list[Alert] = Field(description="Which alerts; empty: all of them.")
    channel: Literal["webhook", "email"]
    target: str = Field(description="The webhook's URL or the e-mail address.")
    languages: list[str]
    name: str
    enabled: bool
    disabled_at: Timestamp | None
    disabled_reason: str | None = Field(description="Why it was disabled (by an admin, or failures in a row).")
    consecutive_failures: int
    next_attempt_at: Timestamp | None = Field(description="When a delivery is tried next after failures.")
    pending: int = Field(description="Deliveries waiting to be sent.")
    created_at: Timestamp


class Attempt(BaseModel):
    at: Timestamp
    ok: bool
    http_status: int | None
    error: str | None
    duration_ms: int


class Delivery(BaseModel):
    id: int
    event: int
    alert: Alert
    event_status: Literal["firing", "resolved"]
    subscription: str
    organisation: str | None
    channel: Literal["webhook", "email"]
    status: Literal["pending", "delivered"]
    attempts: int
    created_at: Timestamp
    last_attempt_at: Timestamp | None
    last_error: str | None
    delivered_at: Timestamp | None
    attempt_log: list[Attempt] = Field(description="The latest ten attempts, newest first.")


def subscription(r: dict[str, Any]) -> Subscription:
    waits = r["next_attempt_at"]
    return Subscription(
        id=r["id"], organisation=r["org_id"], site=r["site_id"], service_point=r["service_point_id"],
        alerts=r["alerts"], channel=r["channel"], target=r["target"], languages=r["languages"], name=r["name"],
        enabled=r["enabled"], disabled_at=r["disabled_at"], disabled_reason=r["disabled_reason"],
        consecutive_failures=r["consecutive_failures"], pending=r["pending"], created_at=r["created_at"],
        next_attempt_at=waits if r["consecutive_failures"] else None,
    )  # fmt: skip


async def events(
    conn: AsyncConnection[Any],
    public_url: str,
    *,
    scope: OrgScope,
    org: str | None = None,
    alert: str | None = None,
    service_point: str | None = None,
    since: datetime | None = None,
    before: int | None = None,
    limit: int = 100,
) -> list[AlertEvent]:
    """Alert events newest first: what the board's alert list shows."""
    found = await alert_events.events(conn, scope=scope, org=org, alert=alert, service_point=service_point,
                                      since=since, before_id=before, limit=limit)  # fmt: skip
    return [event(r, public_url) for r in found]


async def one_event(conn: AsyncConnection[Any], public_url: str, event_id: int, *, scope: OrgScope) -> AlertEvent:
    found = await alert_events.event(conn, event_id)
    if found is None or not scope.allows(found["org_id"]) or (scope.org is not None and found["org_id"] is None):
        raise not_found("alert event", str(event_id))
    return event(found, public_url)


async def subscriptions(conn: AsyncConnection[Any], *, scope: OrgScope, org: str | None = None) -> list[Subscription]:
    return [subscription(r) for r in await alert_subscriptions.listing(conn, scope=scope, org=org)]


async def deliveries(
    conn: AsyncConnection[Any],
    *,
    scope: OrgScope,
    org: str | None = None,
    subscription_id: str | None = None,
    status: str | None = None,
    before: int | None = None,
    limit: int = 100,
) -> list[Delivery]:
    found = await alert_deliveries.listing(conn, scope=scope, org=org, subscription=subscription_id, status=status,
                                           before_id=before, limit=limit)  # fmt: skip
    return [
        Delivery(id=r["id"], event=r["event_id"], alert=r["alert"], event_status=r["event_status"],
                 subscription=r["subscription_id"], organisation=r["org_id"], channel=r["channel"], status=r["status"],
                 attempts=r["attempts"], created_at=r["created_at"], last_attempt_at=r["last_attempt_at"],
                 last_error=r["last_error"], delivered_at=r["delivered_at"],
                 attempt_log=[Attempt.model_validate(a) for a in r["attempt_log"]])
        for r in found
    ]  # fmt: skip
