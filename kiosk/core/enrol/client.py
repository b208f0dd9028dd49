"""Asking the collector: `POST <url>/v1/enrolment` over HTTPS with the server's certificate checked.

Plain HTTP is allowed only to this machine (a demo, a test). A refusal the code cannot outlive (unknown,
used, expired, revoked) is `CodeRefused`; anything that may pass (network, 5xx, 429) is `NotNow`, with how
long to wait.
"""

from __future__ import annotations

import ipaddress
import json
import ssl
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import ValidationError

from kiosk import __version__
from protocol.enrolment import Enrolment, EnrolmentRequest, display

TIMEOUT_S = 20
MAX_ANSWER = 256 * 1024


class CodeRefused(Exception):
    """The collector refused the code for good; `kind` is the problem's last path segment."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind, self.detail = kind, detail


class NotNow(Exception):
    """Could not ask now; try again after `retry_after_s` (None: the configured wait)."""

    def __init__(self, reason: str, retry_after_s: float | None = None) -> None:
        super().__init__(reason)
        self.reason, self.retry_after_s = reason, retry_after_s


def check_url(url: str) -> None:
    """`ValueError` unless https, or http to this machine."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        return
    host = parts.hostname or ""
    if parts.scheme == "http" and (host == "localhost" or _loopback(host)):
        return
    raise ValueError(f"{url}: enrolment needs https (plain http only to this machine)")


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def redeem(url: str, code: str, ca_file: Path | None, timeout: float = TIMEOUT_S) -> Enrolment:
    check_url(url)
    body = EnrolmentRequest(code=display(code), software_version=__version__).model_dump_json().encode()
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        f"{url.rstrip('/')}/v1/enrolment",
        data=body,
        headers={"Content-Type": "application/json", "Accept": "application/json"},
        method="POST",
    )
    context = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=context) as answer:  # noqa: S310 - checked
            text = answer.read(MAX_ANSWER)
    except urllib.error.HTTPError as exc:
        raise _refusal(exc) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise NotNow(f"cannot reach {url}: {reason}") from None
    try:
        return Enrolment.model_validate_json(text)
    except ValidationError as exc:
        raise NotNow(f"{url} answered something that is not an enrolment: {exc.error_count()} error(s)") from None


def _refusal(exc: urllib.error.HTTPError) -> Exception:
    try:
        problem = json.loads(exc.read(MAX_ANSWER) or b"{}")
    except (ValueError, OSError):
        problem = {}
    problem = problem if isinstance(problem, dict) else {}
    kind = str(problem.get("type", "")).rsplit("/", 1)[-1] or f"http-{exc.code}"
    detail = str(problem.get("detail") or problem.get("title") or exc.reason)
    if exc.code in (404, 409, 410, 422):
        return CodeRefused(kind, detail)
    retry = exc.headers.get("Retry-After") if exc.headers else None
    wait = float(retry) if retry and retry.isdigit() else None
    return NotNow(f"the collector answered {exc.code}: {detail}", wait)
