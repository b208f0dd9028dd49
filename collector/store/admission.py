"""What a batch's messages refer to: admit them against the registry, auto-register the unknown."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import TupleRow

from collector.ingest import Batch, HeartbeatIn, RatingIn, Rejection, StatusIn
from collector.store.arrays import array

Received = RatingIn | HeartbeatIn | StatusIn


@dataclass
class Registry:
    """What the batch's messages refer to, as the database knows it."""

    kiosks: dict[str, tuple[str, str | None]]  # id -> (org, service point)
    service_points: dict[str, str]  # id -> org
    services: set[tuple[str, str]]  # (org, id)
    organisations: set[str]
    new: set[tuple[str, str]] = field(default_factory=set)
    """(table, id) of what admission let in although the database does not know it yet."""


def load(conn: psycopg.Connection[TupleRow], batch: Batch) -> Registry:
    received: list[Received] = [*batch.ratings, *batch.heartbeats, *batch.statuses]
    kiosk_ids = sorted({item.kiosk_id for item in received} | {r.rating.kiosk_id for r in batch.rejections if r.rating})
    sp_ids = sorted({r.rating.service_point for r in batch.ratings})
    orgs = sorted({item.org for item in received})

    def rows(query: str, ids: list[str]) -> list[tuple[Any, ...]]:
        return conn.execute(query.encode(), (array(ids),)).fetchall()

    kiosks = {
        k: (org, sp)
        for k, org, sp in rows("SELECT id, org_id, service_point_id FROM kiosks WHERE id = ANY(%s::text[])", kiosk_ids)
    }
    sps = {sp: org for sp, org in rows("SELECT id, org_id FROM service_points WHERE id = ANY(%s::text[])", sp_ids)}
    services = {(org, s) for org, s in rows("SELECT org_id, id FROM services WHERE org_id = ANY(%s::text[])", orgs)}
    known_orgs = {org for (org,) in rows("SELECT id FROM organisations WHERE id = ANY(%s::text[])", orgs)}
    return Registry(kiosks, sps, services, known_orgs)


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
        problem: tuple[str, str] | None = None
        if owner is None and not auto_register:
            problem = ("unknown_service_point", f"service point {rating.service_point!r} is not registered")
        elif owner is not None and owner != item.org:
            problem = ("foreign_service_point", f"service point {rating.service_point!r} belongs to {owner!r}")
        elif rating.service and (item.org, rating.service) not in registry.services and not auto_register:
            problem = ("unknown_service", f"service {rating.service!r} is not registered for {item.org!r}")
        if problem:
            rejections.append(Rejection(item.inbound, *problem, rating))
            continue
        if owner is None:
            registry.service_points[rating.service_point] = item.org
            registry.new.add(("service_points", rating.service_point))
        if rating.service and (item.org, rating.service) not in registry.services:
            registry.services.add((item.org, rating.service))
            registry.new.add(("services", f"{item.org}/{rating.service}"))
        admitted.append(item)
    return admitted


def register(
    conn: psycopg.Connection[TupleRow],
    ratings: list[RatingIn],
    others: Iterable[Received],
    registry: Registry,
    timezone: str,
) -> None:
    """Create what the admitted messages refer to and the database does not know yet (auto-registration)."""
    if not registry.new:
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


def place_kiosks(conn: psycopg.Connection[TupleRow], ratings: list[RatingIn], registry: Registry) -> None:
    """A kiosk registered before its first rating (it said hello with a heartbeat) gets the service point of its
    first rating, as one registered by a rating does."""
    first: dict[str, str] = {}
    for r in ratings:
        if registry.kiosks.get(r.kiosk_id, ("", ""))[1] is None:
            first.setdefault(r.kiosk_id, r.rating.service_point)
    if first:
        conn.cursor().executemany(
            "UPDATE kiosks SET service_point_id = %s WHERE id = %s AND service_point_id IS NULL",
            [(sp, kiosk) for kiosk, sp in sorted(first.items())],
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
