"""Webhook deliveries: a signed JSON POST.

Headers: `X-MLF-Timestamp` (Unix seconds when it was signed), `X-MLF-Signature: sha256=<hex>` where hex is
HMAC-SHA256 with the subscription's secret over `<timestamp>.<body>` (the exact bytes received),
`X-MLF-Delivery` (the same on every retry) and `X-MLF-Event`. A receiver recomputes the signature, compares
in constant time, and refuses a timestamp more than five minutes old (a replayed request). Any 2xx answer is
a delivery; anything else, a timeout or a refused connection is a failure retried with backoff. Redirects are
not followed: a moved endpoint is a failure someone should see.
"""

from __future__ import annotations

import hashlib
import hmac
import time

import httpx

from collector.alerts.payload import WebhookBody

USER_AGENT = "mettiamoci-la-faccia-alerts/1"


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The value of `X-MLF-Signature`."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(
    secret: str, timestamp: str, body: bytes, signed: str, *, now: float | None = None, tolerance: int = 300
) -> bool:
    """What a receiver does (and our tests): the signature matches and the timestamp is recent."""
    try:
        fresh = abs((now if now is not None else time.time()) - int(timestamp)) <= tolerance
    except ValueError:
        return False
    return fresh and hmac.compare_digest(signature(secret, timestamp, body), signed)


class DeliveryFailed(Exception):
    def __init__(self, message: str, http_status: int | None = None) -> None:
        super().__init__(message)
        self.http_status = http_status


async def send(client: httpx.AsyncClient, url: str, secret: str, body: WebhookBody) -> int:
    """POST the body; its HTTP status when 2xx, `DeliveryFailed` otherwise."""
    data = body.model_dump_json(by_alias=True).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-MLF-Timestamp": timestamp,
        "X-MLF-Signature": signature(secret, timestamp, data),
        "X-MLF-Delivery": str(body.delivery),
        "X-MLF-Event": f"{body.event.alert}.{body.event.status}",
    }
    try:
        response = await client.post(url, content=data, headers=headers, follow_redirects=False)
    except httpx.HTTPError as exc:
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}"[:300]) from None
    if not 200 <= response.status_code < 300:
        raise DeliveryFailed(f"HTTP {response.status_code}", response.status_code)
    return response.status_code
