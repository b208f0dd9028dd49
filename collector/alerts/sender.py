"""Works through the outbox of deliveries (`collector.store.alert_deliveries`): each due subscription's
deliveries in order, webhooks and e-mails, every attempt logged; a failure backs the subscription off.
Subscriptions are served side by side, so one slow endpoint delays only its own."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from psycopg_pool import AsyncConnectionPool

from collector.alerts import email, payload, webhook
from collector.alerts.settings import AlertSettings
from collector.alerts.webhook import DeliveryFailed
from collector.store import alert_deliveries
from collector.store.alert_deliveries import Claimed

log = logging.getLogger(__name__)

BATCH = 20
"""Deliveries of one subscription per round."""


def backoff(settings: AlertSettings, failures: int) -> timedelta:
    """The wait after the `failures`-th failure in a row: base, 2 x base, 4 x base, ... capped."""
    return timedelta(seconds=min(settings.alerts_retry_base_s * 2 ** max(failures - 1, 0), settings.alerts_retry_max_s))


async def send_due(pool: AsyncConnectionPool[Any], settings: AlertSettings, client: httpx.AsyncClient) -> int:
    """One round; how many attempts were made."""
    lease = timedelta(seconds=settings.alerts_timeout_s * (BATCH + 1))
    async with pool.connection() as conn:
        claimed = await alert_deliveries.claim(conn, datetime.now(UTC), lease)
    done = await asyncio.gather(*(_serve(pool, settings, client, sub) for sub in claimed))
    return sum(done)


async def _serve(
    pool: AsyncConnectionPool[Any], settings: AlertSettings, client: httpx.AsyncClient, sub: Claimed
) -> int:
    attempts = 0
    async with pool.connection() as conn:
        waiting = await alert_deliveries.pending(conn, sub.id, BATCH)
    for row in waiting:
        event = payload.event(row, settings.public_url)
        started = time.monotonic()
        error: DeliveryFailed | None = None
        status = None
        try:
            if sub.channel == "webhook":
                assert sub.secret is not None
                body = payload.WebhookBody(delivery=row["delivery_id"], subscription=sub.id, event=event)
                status = await webhook.send(client, sub.target, sub.secret, body)
            else:
                await email.send(
                    settings, email.message(event, settings.smtp_from, sub.target, sub.languages, sub.name)
                )
        except DeliveryFailed as exc:
            error = exc
        attempts += 1
        ms = round((time.monotonic() - started) * 1000)
        retry_at = datetime.now(UTC) + backoff(settings, sub.failures + 1)
        async with pool.connection() as conn:
            disabled = await alert_deliveries.attempted(
                conn, row["delivery_id"], sub.id, ok=error is None, duration_ms=ms,
                http_status=error.http_status if error else status, error=str(error) if error else None,
                retry_at=retry_at, max_failures=settings.alerts_max_failures,
            )  # fmt: skip
        if error is not None:
            then = "subscription DISABLED" if disabled else f"next attempt at {retry_at.isoformat(timespec='seconds')}"
            log.warning("alert delivery %d to subscription %s failed (%s); %s", row["delivery_id"], sub.id, error, then)
            return attempts
        sub = Claimed(sub.id, sub.channel, sub.target, sub.secret, sub.languages, 0, sub.name)
    async with pool.connection() as conn:
        await alert_deliveries.release(conn, sub.id)
    return attempts
