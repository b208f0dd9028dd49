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
from psycopg.rows import dict_row
from pydantic import ValidationError

from collector.store.registry import DEFAULT_REASONS
from protocol import Channel, KioskConfig, TopicKind, build_topic, encode
from protocol.messages import ReasonOption, ServiceOption

log = logging.getLogger(__name__)

Publish = Callable[[str, bytes], None]
MAX_REASONS = 8

KIOSKS = """
SELECT k.id, k.org_id, k.service_point_id, sp.channel::text AS channel, s.services, s.languages, s.cooldown_s,
       s.config_revision, s.config_digest
FROM kiosks k JOIN kiosk_settings s ON s.kiosk_id = k.id JOIN service_points sp ON sp.id = k.service_point_id
ORDER BY k.id
"""


def _labels(it: str, en: str | None) -> dict[str, str]:
    return {"it": it, "en": en} if en else {"it": it}


def _catalogues(conn: psycopg.Connection[Any]) -> tuple[dict[str, list[ReasonOption]], dict[tuple[str, str], str]]:
    reasons: dict[str, list[ReasonOption]] = {}
    for org, code, it, en in conn.execute(
        "SELECT org_id, code, label_it, label_en FROM reasons WHERE active ORDER BY org_id, position, code"
    ):
        reasons.setdefault(org, []).append(ReasonOption(code=code, labels=_labels(it, en)))
    services = {
        (org, sid): (name, en) for org, sid, name, en in conn.execute("SELECT org_id, id, name, name_en FROM services")
    }
    return reasons, services  # type: ignore[return-value]


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
    conn.execute(
        "INSERT INTO kiosk_settings (kiosk_id) SELECT id FROM kiosks WHERE service_point_id IS NOT NULL"
        " ON CONFLICT DO NOTHING"
    )
    # Organisations registered on the fly by ingest get the default reasons catalogue too.
    conn.execute(
        "INSERT INTO reasons (org_id, code, label_it, label_en, position)"
        " SELECT o.id, d.code, d.it, d.en, d.position FROM organisations o"
        " CROSS JOIN unnest(%s::text[], %s::text[], %s::text[]) WITH ORDINALITY AS d(code, it, en, position)"
        " WHERE NOT EXISTS (SELECT 1 FROM reasons r WHERE r.org_id = o.id)",
        [list(column) for column in zip(*DEFAULT_REASONS, strict=True)],
    )
    reasons, services = _catalogues(conn)
    published = 0
    with conn.cursor(row_factory=dict_row) as cur:
        kiosks = cur.execute(KIOSKS).fetchall()
    for row in kiosks:
        try:
            probe = build(row, reasons.get(row["org_id"], []), services, 1)
        except ValidationError as exc:
            log.error("kiosk %s: its configuration is invalid, not published: %s", row["id"], exc)
            continue
        digest = hashlib.sha256(encode(probe)).hexdigest()
        revision = row["config_revision"]
        if digest != row["config_digest"]:
            with conn.transaction():
                locked = conn.execute(
                    "SELECT config_revision, config_digest FROM kiosk_settings WHERE kiosk_id = %s FOR UPDATE",
                    (row["id"],),
                ).fetchone()
                assert locked is not None
                revision = locked[0] if locked[1] == digest else locked[0] + 1
                conn.execute(
                    "UPDATE kiosk_settings SET config_revision = %s, config_digest = %s WHERE kiosk_id = %s",
                    (revision, digest, row["id"]),
                )
        elif not everything:
            continue
        config = probe.model_copy(update={"revision": revision})
        publish(build_topic(row["org_id"], row["id"], TopicKind.CONFIG), encode(config))
        conn.execute("UPDATE kiosk_settings SET published_at = %s WHERE kiosk_id = %s", (datetime.now(UTC), row["id"]))
        published += 1
    return published
