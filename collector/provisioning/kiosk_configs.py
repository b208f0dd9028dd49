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


Memo = dict[str, tuple[bytes, str]]
"""kiosk id -> (a digest of what its config is built from, the config's digest): a reconciler keeps it between
runs, so that a fleet whose configs did not change costs a dictionary lookup per kiosk, not a build."""


def sync(conn: psycopg.Connection[Any], publish: Publish, everything: bool = False, memo: Memo | None = None) -> int:
    """Bump revisions of changed configs and publish them (all of them with `everything`). Returns how many."""
    provisioning.complete_registry(conn)
    reasons, services = _catalogues(conn)
    memo = {} if memo is None else memo
    offered = {org: repr([r.model_dump() for r in listed[:MAX_REASONS]]) for org, listed in reasons.items()}
    outgoing: list[tuple[dict[str, Any], KioskConfig, str]] = []
    rows = provisioning.kiosks(conn)
    for gone in memo.keys() - {row["id"] for row in rows}:
        del memo[gone]
    for row in rows:
        org = row["org_id"]
        inputs = repr(
            (
                org,
                row["service_point_id"],
                row["channel"],
                row["services"],
                row["languages"],
                row["cooldown_s"],
                offered.get(org),
                [services.get((org, sid)) for sid in row["services"]],
            )
        )
        key = hashlib.blake2b(inputs.encode(), digest_size=16).digest()
        known = memo.get(row["id"])
        if known is not None and known[0] == key and known[1] == row["config_digest"] and not everything:
            continue
        try:
            probe = build(row, reasons.get(org, []), services, 1)
        except ValidationError as exc:
            log.error("kiosk %s: its configuration is invalid, not published: %s", row["id"], exc)
            continue
        digest = hashlib.sha256(encode(probe)).hexdigest()
        memo[row["id"]] = (key, digest)
        if digest != row["config_digest"] or everything:
            outgoing.append((row, probe, digest))
    revisions = provisioning.new_revisions(
        conn, {row["id"]: digest for row, _, digest in outgoing if digest != row["config_digest"]}
    )
    for row, probe, _ in outgoing:
        config = probe.model_copy(update={"revision": revisions.get(row["id"], row["config_revision"])})
        publish(build_topic(row["org_id"], row["id"], TopicKind.CONFIG), encode(config))
    provisioning.published(conn, [row["id"] for row, _, _ in outgoing], datetime.now(UTC))
    return len(outgoing)
