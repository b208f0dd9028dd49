"""An alert event as the API lists it and as a webhook receives it: one model, one JSON Schema
(`docs/alerts-webhook.schema.json`, kept in step by a test)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from collector.alerts import texts
from collector.api.schemas import Timestamp

Alert = Literal["below_target", "kiosk_silent", "identity_conflict", "quarantine_spike", "outbox_growing", "test"]


class AlertEvent(BaseModel):
    id: int = Field(description="The event's id: increasing, never reused.")
    alert: Alert = Field(description="What happened.")
    status: Literal["firing", "resolved"] = Field(description="It started (once), or it is over (once).")
    at: Timestamp = Field(description="When the collector noticed it.")
    organisation: str | None = Field(description="null: the whole installation (refused messages of no known one).")
    organisation_name: str | None = Field(default=None, description="The organisation's name, for people.")
    site: str | None
    service_point: str | None
    service_point_name: str | None
    kiosk: str | None
    subject: str = Field(description="What the alert is about: a service point, a kiosk, `<org>:<reason>`.")
    summary: dict[str, str] = Field(description="One sentence in Italian (`it`) and English (`en`).")
    detail: dict[str, Any] = Field(
        description="The numbers: below_target has counts, shares with their 95% intervals, target, period and "
        "reasons; kiosk_silent last_seen_at, silent_s, silent_open_s, threshold_s; quarantine_spike reason, "
        "messages, window_s, threshold; outbox_growing depth, low_depth, since; identity_conflict reason, instances."
    )
    link: str = Field(description="Where to look: the event in the API.")


class WebhookBody(BaseModel):
    """The JSON body POSTed to a webhook, signed in `X-MLF-Signature` (see docs/alerts.md)."""

    model_config = ConfigDict(title="Alert webhook", populate_by_name=True)

    schema_: Literal["mlf-alert/1"] = Field("mlf-alert/1", alias="schema", description="This document's version.")
    delivery: int = Field(description="The delivery's id: the same on every retry (deduplicate by it).")
    subscription: str
    event: AlertEvent


def event(row: dict[str, Any], public_url: str) -> AlertEvent:
    """From a row of `alert_events` (with `service_point_name`, `organisation_name`), or a pending delivery
    (`event_*` columns)."""
    event_id = row.get("event_id", row.get("id"))
    status = row.get("event_status", row.get("status"))
    assert isinstance(event_id, int)
    assert status in ("firing", "resolved")
    at: datetime = row["at"]
    return AlertEvent(
        id=event_id,
        alert=row["alert"],
        status=status,
        at=at,
        organisation=row["org_id"],
        organisation_name=row.get("organisation_name"),
        site=row["site_id"],
        service_point=row["service_point_id"],
        service_point_name=row.get("service_point_name"),
        kiosk=row["kiosk_id"],
        subject=row["subject"],
        summary=texts.summaries(row["alert"], status, row["subject"], row.get("service_point_name"), row["detail"]),
        detail=row["detail"],
        link=f"{public_url.rstrip('/')}/v1/alerts/events/{event_id}",
    )
