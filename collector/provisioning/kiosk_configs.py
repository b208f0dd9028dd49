"""Each kiosk's `KioskConfig`, built from the registry; a new revision whenever its content changes.

The revision is bumped in the database (row lock, one transaction), so several collectors agree on it;
publishing the same retained config twice is harmless.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import psycopg
from pydantic import ValidationError

from collector.store import provisioning
from protocol import Channel, KioskConfig, TopicKind, build_topic, encode
from protocol.messages import ReasonOption, ServiceOption

log = logging.getLogger(__name__)

Publish = Callable[[str, bytes], None]
MAX_REASONS = 8


def _labels(it: str, en: str | None) -> dict[str, str]:
    return {"it": it, "en": en} if en else {"it": it}


def _catalogues(
    conn: psycopg.Connection[Any],
) -> tuple[dict[str, list[ReasonOption]], dict[tuple[str, str], tuple[str, str | None]]]:
    reasons: dict[str, list[ReasonOption]] = {}
    for org, code, it, en in provisioning.active_reasons(conn):
        reasons.setdefault(org, []).append(ReasonOption(code=code, labels=_labels(it, en)))
    services = {(org, sid): (name, en) for org, sid, name, en in provisioning.services(conn)}
    return reasons, services


def build(
    row: dict[str, Any], reasons: list[ReasonOption], services: dict[tuple[str, str], Any], revision: int
) -> KioskConfig:
    options = [
        ServiceOption(id=sid, labels=_labels(*services[(row["org_id"], sid)]))
        for sid in row["services"]
        if (row["org_id"], sid) in services
    ]
    return KioskConfig(
        revision=revision,
        service_point=row["service_point_id"],
        channel=Channel(row["channel"]),
        services=options,
        reasons=reasons[:MAX_REASONS],
        languages=list(row["languages"]),
        cooldown_s=row["cooldown_s"],
    )


def sync(conn: psycopg.Connection[Any], publish: Publish, everything: bool = False) -> int:
    """Bump revisions of changed configs and publish them (all of them with `everything`). Returns how many."""
    provisioning.complete_registry(conn)
    reasons, services = _catalogues(conn)
    published = 0
    for row in provisioning.kiosks(conn):
        try:
            probe = build(row, reasons.get(row["org_id"], []), services, 1)
        except ValidationError as exc:
            log.error("kiosk %s: its configuration is invalid, not published: %s", row["id"], exc)
            continue
        digest = hashlib.sha256(encode(probe)).hexdigest()
        revision = row["config_revision"]
        if digest != row["config_digest"]:
            revision = provisioning.new_revision(conn, row["id"], digest)
        elif not everything:
            continue
        config = probe.model_copy(update={"revision": revision})
        publish(build_topic(row["org_id"], row["id"], TopicKind.CONFIG), encode(config))
        provisioning.published(conn, row["id"], datetime.now(UTC))
        published += 1
    return published
