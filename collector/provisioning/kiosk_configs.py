"""Each kiosk's `KioskConfig`, built from the registry; a new revision whenever its content changes.

The revision is bumped in the database (row lock, one transaction), so several collectors agree on it;
publishing the same retained config twice is harmless. A config is noted as published only once the MQTT
client took it: one it refused (all its packet ids await the broker's PUBACK, as under an ingest backlog)
stays unpublished in the database and is offered again at the next pass, by whichever collector runs it.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
from pydantic import ValidationError

from collector.store import provisioning
from protocol import Channel, KioskConfig, TopicKind, build_topic, encode
from protocol.messages import ReasonOption, ServiceOption

log = logging.getLogger(__name__)

Publish = Callable[[str, bytes], bool]
"""(topic, payload) -> whether the MQTT client took it (False: try again later): `IngestPort.publish_config`."""
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


@dataclass(frozen=True)
class Synced:
    published: list[str]
    """Kiosks whose config the MQTT client took (noted as published)."""
    waiting: list[str]
    """Kiosks whose config it refused, or was not offered after a refusal: not noted as published."""


def sync(
    conn: psycopg.Connection[Any],
    publish: Publish,
    everything: bool = False,
    memo: Memo | None = None,
    again: Collection[str] = (),
) -> Synced:
    """Bump revisions of changed configs and publish them, with those not yet published (all of them with
    `everything`; also those of the kiosks `again`, e.g. the ones still waiting from the last pass)."""
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
        pending = row["published_at"] is None or row["id"] in again
        if known is not None and known[0] == key and known[1] == row["config_digest"] and not (everything or pending):
            continue
        try:
            probe = build(row, reasons.get(org, []), services, 1)
        except ValidationError as exc:
            log.error("kiosk %s: its configuration is invalid, not published: %s", row["id"], exc)
            continue
        digest = hashlib.sha256(encode(probe)).hexdigest()
        memo[row["id"]] = (key, digest)
        if digest != row["config_digest"] or everything or pending:
            outgoing.append((row, probe, digest))
    revisions = provisioning.new_revisions(
        conn, {row["id"]: digest for row, _, digest in outgoing if digest != row["config_digest"]}
    )
    taken: dict[str, str] = {}
    for row, probe, digest in outgoing:
        config = probe.model_copy(update={"revision": revisions.get(row["id"], row["config_revision"])})
        if not publish(build_topic(row["org_id"], row["id"], TopicKind.CONFIG), encode(config)):
            break  # the client is full: the rest would be refused too
        taken[row["id"]] = digest
    provisioning.published(conn, taken, datetime.now(UTC))
    return Synced(list(taken), [row["id"] for row, _, _ in outgoing if row["id"] not in taken])
