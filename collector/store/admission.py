"""What a batch's messages refer to: admit them against the registry, auto-register the unknown.

A kiosk speaks for itself only: its organisation (the topic's), the service point the registry assigns to
it, and, when it has a list of services offered, those services. Anything else is `identity_mismatch`.
With auto-registration, a kiosk without a service point gets the one its first admitted rating names.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import TupleRow

from collector.ingest.messages import Batch, HeartbeatIn, RatingIn, Rejection, StatusIn
from collector.store.arrays import array

Received = RatingIn | HeartbeatIn | StatusIn


@dataclass
class Registry:
    """What the batch's messages refer to, as the database knows it."""

    kiosks: dict[str, tuple[str, str | None]]  # id -> (org, service point)
    service_points: dict[str, str]  # id -> org
    services: set[tuple[str, str]]  # (org, id)
    organisations: set[str]
    offered: dict[str, set[str]] = field(default_factory=dict)
    """kiosk id -> the services offered there, for kiosks that have a list of them."""
    new: set[tuple[str, str]] = field(default_factory=set)
    """(table, id) of what admission let in although the database does not know it yet."""
    assigned: dict[str, str] = field(default_factory=dict)
    """Known kiosks without a service point -> the one their first admitted rating names."""


KIOSKS = """
SELECT k.id, k.org_id, k.service_point_id, s.services
FROM kiosks k LEFT JOIN kiosk_settings s ON s.kiosk_id = k.id AND s.services <> '{}'
WHERE k.id = ANY(%s::text[])
"""
"""Each kiosk with its organisation, service point and, when it has one, its list of services offered."""


def load(conn: psycopg.Connection[TupleRow], batch: Batch) -> Registry:
    received: list[Received] = [*batch.ratings, *batch.heartbeats, *batch.statuses]
    kiosk_ids = list({item.kiosk_id for item in received} | {r.rating.kiosk_id for r in batch.rejections if r.rating})
    sp_ids = list({r.rating.service_point for r in batch.ratings})
    orgs = list({item.org for item in received})

    def rows(query: str, ids: list[str]) -> list[tuple[Any, ...]]:
        return conn.execute(query.encode(), (array(ids),)).fetchall()

    kiosks: dict[str, tuple[str, str | None]] = {}
    offered: dict[str, set[str]] = {}
    for k, org, sp, listed in rows(KIOSKS, kiosk_ids):
        kiosks[k] = (org, sp)
        if listed:
            offered[k] = set(listed)
    sps = {sp: org for sp, org in rows("SELECT id, org_id FROM service_points WHERE id = ANY(%s::text[])", sp_ids)}
    services = {(org, s) for org, s in rows("SELECT org_id, id FROM services WHERE org_id = ANY(%s::text[])", orgs)}
    known_orgs = {org for (org,) in rows("SELECT id FROM organisations WHERE id = ANY(%s::text[])", orgs)}
    return Registry(kiosks, sps, services, known_orgs, offered)


def admit_kiosk(item: Received, registry: Registry, rejections: list[Rejection], auto_register: bool) -> bool:
    kiosk_id = item.kiosk_id
    known = registry.kiosks.get(kiosk_id)
    if known is None:
        if not auto_register:
            rejections.append(Rejection(item.inbound, "unknown_kiosk", f"kiosk {kiosk_id!r} is not registered"))
            return False
        registry.kiosks[kiosk_id] = (item.org, None)
        registry.new.add(("kiosks", kiosk_id))
        return True
    if known[0] != item.org:
        rejections.append(
            Rejection(item.inbound, "org_mismatch", f"kiosk {kiosk_id!r} belongs to {known[0]!r}, not {item.org!r}")
        )
        return False
    return True


def admit_ratings(
    ratings: list[RatingIn], registry: Registry, rejections: list[Rejection], auto_register: bool
) -> list[RatingIn]:
    """Ratings whose kiosk, service point and service are known (or may be registered); the rest rejected."""
    admitted = []
    for item in ratings:
        rating = item.rating
        if not admit_kiosk(item, registry, rejections, auto_register):
            continue
        owner = registry.service_points.get(rating.service_point)
        problem = _identity_problem(item, registry, auto_register) or _registry_problem(
            item, owner, registry, auto_register
        )
        if problem:
            rejections.append(Rejection(item.inbound, *problem, rating))
            continue
        org, assigned = registry.kiosks[rating.kiosk_id]
        if assigned is None:  # its first admitted rating says where it is
            registry.kiosks[rating.kiosk_id] = (org, rating.service_point)
            if ("kiosks", rating.kiosk_id) not in registry.new:
                registry.assigned[rating.kiosk_id] = rating.service_point
        if owner is None:
            registry.service_points[rating.service_point] = item.org
            registry.new.add(("service_points", rating.service_point))
        if rating.service and (item.org, rating.service) not in registry.services:
            registry.services.add((item.org, rating.service))
            registry.new.add(("services", f"{item.org}/{rating.service}"))
        admitted.append(item)
    return admitted


def _registry_problem(
    item: RatingIn, owner: str | None, registry: Registry, auto_register: bool
) -> tuple[str, str] | None:
    """Why the service point or service named cannot be admitted: unknown (without auto-registration), or
    another organisation's."""
    rating = item.rating
    if owner is None and not auto_register:
        return "unknown_service_point", f"service point {rating.service_point!r} is not registered"
    if owner is not None and owner != item.org:
        return "foreign_service_point", f"service point {rating.service_point!r} belongs to {owner!r}"
    if rating.service and (item.org, rating.service) not in registry.services and not auto_register:
        return "unknown_service", f"service {rating.service!r} is not registered for {item.org!r}"
    return None


def _identity_problem(item: RatingIn, registry: Registry, auto_register: bool) -> tuple[str, str] | None:
    """Why a kiosk may not give this rating: another service point than its own, a service not offered."""
    rating = item.rating
    kiosk = rating.kiosk_id
    assigned = registry.kiosks[kiosk][1]
    if assigned is None and not auto_register:
        return "identity_mismatch", f"kiosk {kiosk!r} has no service point assigned"
    if assigned is not None and assigned != rating.service_point:
        return "identity_mismatch", f"kiosk {kiosk!r} rates service point {assigned!r}, not {rating.service_point!r}"
    offered = registry.offered.get(kiosk)
    if offered and rating.service is not None and rating.service not in offered:
        return "identity_mismatch", f"service {rating.service!r} is not offered at kiosk {kiosk!r}"
    return None


def register(
    conn: psycopg.Connection[TupleRow],
    ratings: list[RatingIn],
    others: Iterable[Received],
    registry: Registry,
    timezone: str,
) -> None:
    """Create what the admitted messages refer to and the database does not know yet (auto-registration),
    and give known kiosks without a service point the one of their first rating."""
    if not registry.new and not registry.assigned:
        return
    new = registry.new
    everything = [*ratings, *others]
    orgs = sorted({item.org for item in everything} - registry.organisations)
    _insert_missing(conn, "organisations", ("id", "name", "timezone"), [(org, org, timezone) for org in orgs])
    sps = sorted(
        {
            (r.rating.service_point, r.org, r.rating.channel.value)
            for r in ratings
            if ("service_points", r.rating.service_point) in new
        }
    )
    _insert_missing(
        conn, "service_points", ("id", "org_id", "name", "channel"), [(sp, org, sp, ch) for sp, org, ch in sps]
    )
    services = sorted(
        {
            (r.org, r.rating.service)
            for r in ratings
            if r.rating.service and ("services", f"{r.org}/{r.rating.service}") in new
        }
    )
    _insert_missing(conn, "services", ("org_id", "id", "name"), [(org, s, s) for org, s in services])
    first_sp: dict[str, str] = {}
    for r in ratings:
        first_sp.setdefault(r.rating.kiosk_id, r.rating.service_point)
    kiosks = sorted({(item.kiosk_id, item.org) for item in everything if ("kiosks", item.kiosk_id) in new})
    _insert_missing(
        conn, "kiosks", ("id", "org_id", "service_point_id"), [(k, org, first_sp.get(k)) for k, org in kiosks]
    )
    if registry.assigned:
        ids = sorted(registry.assigned)
        conn.execute(
            "UPDATE kiosks k SET service_point_id = a.sp FROM unnest(%s::text[], %s::text[]) AS a(id, sp)"
            " WHERE k.id = a.id AND k.service_point_id IS NULL",
            (array(ids), array(registry.assigned[k] for k in ids)),
        )


def _insert_missing(
    conn: psycopg.Connection[TupleRow], table: str, columns: tuple[str, ...], rows: list[tuple[object, ...]]
) -> None:
    if not rows:
        return
    query = sql.SQL("INSERT INTO {} ({}) VALUES ({}) ON CONFLICT DO NOTHING").format(
        sql.Identifier(table),
        sql.SQL(", ").join(map(sql.Identifier, columns)),
        sql.SQL(", ").join(sql.Placeholder() * len(columns)),
    )
    with conn.cursor() as cur:
        cur.executemany(query, rows)
