"""What kiosk provisioning reads and writes: broker accounts, the rows kiosk configs are built from, and
each config's revision (bumped under a row lock, so several collectors agree on it). Synchronous: the
reconciler runs in a thread of its own."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

from collector.store.arrays import array
from collector.store.registry import DEFAULT_REASONS

KIOSKS = """
SELECT k.id, k.org_id, k.service_point_id, sp.channel::text AS channel, s.services, s.languages, s.cooldown_s,
       s.config_revision, s.config_digest, s.published_at
FROM kiosks k JOIN kiosk_settings s ON s.kiosk_id = k.id JOIN service_points sp ON sp.id = k.service_point_id
ORDER BY k.id
"""


def kiosk_accounts(conn: psycopg.Connection[Any]) -> list[tuple[str, str, str]]:
    """(kiosk id, organisation, mosquitto password hash) of every kiosk with credentials."""
    found = conn.execute(
        "SELECT k.id, k.org_id, c.password_hash FROM kiosk_credentials c JOIN kiosks k ON k.id = c.kiosk_id"
        " ORDER BY k.id"
    ).fetchall()
    return [(str(k), str(o), str(h)) for k, o, h in found]


def complete_registry(conn: psycopg.Connection[Any]) -> None:
    """Settings for kiosks that have none, and the default reasons catalogue for organisations registered on
    the fly by ingest."""
    conn.execute(
        "INSERT INTO kiosk_settings (kiosk_id) SELECT id FROM kiosks WHERE service_point_id IS NOT NULL"
        " ON CONFLICT DO NOTHING"
    )
    codes, it, en = ([row[i] for row in DEFAULT_REASONS] for i in range(3))
    conn.execute(
        "INSERT INTO reasons (org_id, code, label_it, label_en, position)"
        " SELECT o.id, d.code, d.it, d.en, d.position FROM organisations o"
        " CROSS JOIN unnest(%(codes)s::text[], %(it)s::text[], %(en)s::text[]) WITH ORDINALITY"
        " AS d(code, it, en, position)"
        " WHERE NOT EXISTS (SELECT 1 FROM reasons r WHERE r.org_id = o.id)",
        {"codes": codes, "it": it, "en": en},
    )


def active_reasons(conn: psycopg.Connection[Any]) -> list[tuple[str, str, str, str]]:
    """(organisation, code, Italian label, English label) of every offered reason, in kiosk order."""
    return conn.execute(
        "SELECT org_id, code, label_it, label_en FROM reasons WHERE active ORDER BY org_id, position, code"
    ).fetchall()


def services(conn: psycopg.Connection[Any]) -> list[tuple[str, str, str, str | None]]:
    """(organisation, id, Italian name, English name) of every service."""
    return conn.execute("SELECT org_id, id, name, name_en FROM services").fetchall()


def kiosks(conn: psycopg.Connection[Any]) -> list[dict[str, Any]]:
    """Every kiosk at a service point, with its settings and the revision, digest and publication time (None
    while not yet published) of its last config."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(KIOSKS).fetchall()


def new_revisions(conn: psycopg.Connection[Any], digests: Mapping[str, str]) -> dict[str, int]:
    """kiosk id -> the revision of its config with this digest: the stored one if it has this digest, else the
    next, not yet published (`published_at` cleared). One transaction for all, the rows locked in id order first,
    so that two collectors agree on every revision (the second one sees the first one's digest) and never
    deadlock."""
    ids = sorted(digests)
    if not ids:
        return {}
    with conn.transaction():
        conn.execute(
            "SELECT 1 FROM kiosk_settings WHERE kiosk_id = ANY(%s::text[]) ORDER BY kiosk_id FOR UPDATE", (array(ids),)
        )
        rows = conn.execute(
            "UPDATE kiosk_settings s SET config_digest = d.digest,"
            " config_revision = s.config_revision + (s.config_digest IS DISTINCT FROM d.digest)::int,"
            " published_at = CASE WHEN s.config_digest IS DISTINCT FROM d.digest THEN NULL ELSE s.published_at END"
            " FROM unnest(%s::text[], %s::text[]) AS d(kiosk_id, digest) WHERE s.kiosk_id = d.kiosk_id"
            " RETURNING s.kiosk_id, s.config_revision",
            (array(ids), array(digests[i] for i in ids)),
        ).fetchall()
    return {str(kiosk): int(revision) for kiosk, revision in rows}


def published(conn: psycopg.Connection[Any], digests: Mapping[str, str], at: datetime) -> None:
    """These kiosks' configs (kiosk id -> the digest of the one published) were published `at`. A kiosk whose
    config has moved on meanwhile (another collector's change) keeps its own state: that one is not published."""
    if digests:
        ids = sorted(digests)
        conn.execute(
            "UPDATE kiosk_settings s SET published_at = %s FROM unnest(%s::text[], %s::text[]) AS d(kiosk_id, digest)"
            " WHERE s.kiosk_id = d.kiosk_id AND s.config_digest = d.digest",
            (at, array(ids), array(digests[i] for i in ids)),
        )
