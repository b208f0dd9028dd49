"""Citizens served at rest: what queue-ticket systems and offices post, and what the participation rate reads.

A post is keyed by (service point, service, grain, start): posting it again replaces the number (a
correction: the last write wins, its time and the number it replaced are kept). `service` '' stands for all
the service point's services. Two posts whose periods overlap would count citizens twice, so a batch is
refused whole (nothing half-written) when a post overlaps another of the same service point and service,
or when posts for all services and for one service overlap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from psycopg import AsyncConnection

from collector.store.registry import RegistryError, rows
from collector.store.scope import OrgScope


@dataclass(frozen=True)
class Post:
    service_point: str
    service: str
    """'' for all the service point's services."""
    grain: str
    """'day' (a local day) or 'hour' (a whole hour)."""
    start: datetime
    end: datetime
    day: date
    """The local day the period lies in."""
    served: int
    source: str = ""
    """Where it came from ("line 12" of a CSV file, "item 3" of a request), to name it in errors."""


@dataclass(frozen=True)
class Outcome:
    created: int
    corrected: int
    unchanged: int


def _refused(kind: str, title: str, detail: str, status: int = 422) -> RegistryError:
    return RegistryError(status, kind, title, detail)


def _where(post: Post) -> str:
    what = f"{post.service_point}/{post.service or '*'} {post.grain} {post.start.isoformat()}"
    return f"{post.source} ({what})" if post.source else what


def _unnest(posts: Sequence[Post]) -> dict[str, list[Any]]:
    return {
        "sp": [p.service_point for p in posts],
        "svc": [p.service for p in posts],
        "grain": [p.grain for p in posts],
        "start": [p.start for p in posts],
        "end": [p.end for p in posts],
        "day": [p.day for p in posts],
        "served": [p.served for p in posts],
        "line": list(range(len(posts))),
    }


# The parts below are constants: no value reaches the text of a statement, only its parameters.
NEW = (
    "new AS (SELECT * FROM unnest(%(sp)s::text[], %(svc)s::text[], %(grain)s::text[], %(start)s::timestamptz[],"
    " %(end)s::timestamptz[], %(day)s::date[], %(served)s::int[], %(line)s::int[])"
    " AS t(sp, svc, grain, period_start, period_end, day, served, i))"
)
CLASH = (
    "{a}.period_start < {b}.period_end AND {b}.period_start < {a}.period_end"
    " AND ({a}.{svc_a} = {b}.svc OR {a}.{svc_a} = '' OR {b}.svc = '')"
)


async def _check(conn: AsyncConnection[Any], org: str, posts: Sequence[Post], params: dict[str, Any]) -> None:
    points = {
        r["id"]: r["org_id"]
        for r in await rows(
            conn, "SELECT id, org_id FROM service_points WHERE id = ANY(%(ids)s)", {"ids": sorted(set(params["sp"]))}
        )
    }
    services = {r["id"] for r in await rows(conn, "SELECT id FROM services WHERE org_id = %(org)s", {"org": org})}
    for p in posts:
        if points.get(p.service_point) != org:
            raise _refused(
                "not-found", "Service point not found", f"{_where(p)}: no service point {p.service_point!r}", 404
            )
        if p.service and p.service not in services:
            raise _refused("unknown-reference", "Unknown service", f"{_where(p)}: {org!r} has no service {p.service!r}")
    within = "WITH " + NEW + " SELECT a.i AS a, b.i AS b FROM new a JOIN new b ON a.sp = b.sp AND a.i < b.i AND "  # noqa: S608
    same = await rows(conn, within + CLASH.format(a="a", b="b", svc_a="svc") + " ORDER BY a.i, b.i LIMIT 1", params)
    if same:
        first, second = posts[same[0]["a"]], posts[same[0]["b"]]
        raise _refused(
            "overlapping-periods",
            "Periods overlap",
            f"{_where(second)} overlaps {_where(first)}: citizens would be counted twice",
            409,
        )
    clash = await rows(
        conn,
        "WITH " + NEW + " SELECT n.i, c.service_id, c.grain, c.period_start FROM new n JOIN citizens_served c"  # noqa: S608
        " ON c.service_point_id = n.sp AND NOT (c.service_id = n.svc AND c.grain = n.grain"
        " AND c.period_start = n.period_start) AND "
        + CLASH.format(a="c", b="n", svc_a="service_id")
        + " ORDER BY n.i LIMIT 1",
        params,
    )
    if clash:
        p, c = posts[clash[0]["i"]], clash[0]
        raise _refused(
            "overlapping-periods",
            "Periods overlap",
            f"{_where(p)} overlaps what was posted for {c['service_id'] or 'all services'} ({c['grain']} from"
            f" {c['period_start'].isoformat()}): citizens would be counted twice; correct that post instead",
            409,
        )


async def post(conn: AsyncConnection[Any], org: str, posts: Sequence[Post], *, scope: OrgScope) -> Outcome:
    """Store the posts, all or none. Each service point must be `org`'s (and `org` in the caller's scope)."""
    if not scope.allows(org):
        raise _refused("forbidden", "Not allowed for this key", f"this key is bound to organisation {scope.org!r}", 403)
    if not posts:
        return Outcome(0, 0, 0)
    params = _unnest(posts)
    async with conn.transaction():
        for sp in sorted(set(params["sp"])):  # one writer per service point at a time; always in the same order
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext('citizens_served:' || %(sp)s))", {"sp": sp})
        await _check(conn, org, posts, params)
        done = await rows(
            conn,
            "WITH " + NEW + " INSERT INTO citizens_served AS c (service_point_id, service_id, grain, period_start,"  # noqa: S608
            " period_end, day, served) SELECT sp, svc, grain, period_start, period_end, day, served FROM new"
            " ON CONFLICT (service_point_id, service_id, grain, period_start) DO UPDATE SET"
            " served = EXCLUDED.served,"
            " corrected_at = CASE WHEN c.served <> EXCLUDED.served THEN now() ELSE c.corrected_at END,"
            " previous_served = CASE WHEN c.served <> EXCLUDED.served THEN c.served ELSE c.previous_served END,"
            " corrections = c.corrections + (c.served <> EXCLUDED.served)::int"
            " RETURNING (xmax = 0) AS created, c.corrected_at IS NOT DISTINCT FROM now() AS corrected",
            params,
        )
    created = sum(1 for r in done if r["created"])
    corrected = sum(1 for r in done if not r["created"] and r["corrected"])
    return Outcome(created, corrected, len(done) - created - corrected)


async def listing(
    conn: AsyncConnection[Any], org: str, first: date, last_exclusive: date, service_point: str | None = None
) -> list[dict[str, Any]]:
    """What was posted for the organisation's service points on local days [first, last_exclusive)."""
    return await rows(
        conn,
        "SELECT c.service_point_id AS service_point, nullif(c.service_id, '') AS service, c.grain, c.period_start,"
        " c.period_end, c.served, c.posted_at, c.corrected_at, c.corrections, c.previous_served"
        " FROM citizens_served c JOIN service_points sp ON sp.id = c.service_point_id"
        " WHERE sp.org_id = %(org)s AND c.day >= %(first)s AND c.day < %(last)s"
        " AND (%(sp)s::text IS NULL OR c.service_point_id = %(sp)s)"
        " ORDER BY c.service_point_id, c.period_start, c.service_id",
        {"org": org, "first": first, "last": last_exclusive, "sp": service_point},
    )


@dataclass(frozen=True)
class Coverage:
    """Citizens served in periods wholly inside a span, and the ratings of those very periods."""

    served: dict[tuple[str, str], int]
    """(service point, posted service) -> citizens served."""
    rated: dict[tuple[str, str], list[tuple[str, str, int]]]
    """(service point, posted service) -> [(rating's service, rating's channel, ratings)], misuse excluded."""


async def coverage(
    conn: AsyncConnection[Any], service_points: Sequence[str], start: datetime, end: datetime
) -> Coverage:
    """What the participation rate of [start, end) rests on: the posts whose periods lie wholly in it, and
    the ratings of the same service points, services and periods (from the rollups of the same grain)."""
    params = {"sps": list(service_points), "start": start, "end": end}
    posted = (
        "p AS (SELECT service_point_id, service_id, grain, period_start, day, served FROM citizens_served"
        " WHERE service_point_id = ANY(%(sps)s) AND period_start >= %(start)s AND period_end <= %(end)s)"
    )
    served = {
        (r["service_point_id"], r["service_id"]): int(r["n"])
        for r in await rows(
            conn,
            "WITH " + posted + " SELECT service_point_id, service_id, sum(served) AS n FROM p GROUP BY 1, 2",  # noqa: S608
            params,
        )
    }
    rated: dict[tuple[str, str], list[tuple[str, str, int]]] = {}
    if served:
        for r in await rows(
            conn,
            "WITH " + posted + " SELECT p.service_point_id, p.service_id, r.service_id AS rs, r.channel::text AS rc,"  # noqa: S608
            " sum(r.positive + r.neutral + r.negative) AS n FROM p JOIN rollup_daily r ON p.grain = 'day'"
            " AND r.service_point_id = p.service_point_id AND r.day = p.day"
            " AND (p.service_id = '' OR r.service_id = p.service_id) GROUP BY 1, 2, 3, 4"
            " UNION ALL SELECT p.service_point_id, p.service_id, r.service_id, r.channel::text,"
            " sum(r.positive + r.neutral + r.negative) FROM p JOIN rollup_hourly r ON p.grain = 'hour'"
            " AND r.service_point_id = p.service_point_id AND r.bucket = p.period_start"
            " AND (p.service_id = '' OR r.service_id = p.service_id) GROUP BY 1, 2, 3, 4",
            params,
        ):
            rated.setdefault((r["service_point_id"], r["service_id"]), []).append((r["rs"], r["rc"], int(r["n"])))
    return Coverage(served, rated)


async def channels(conn: AsyncConnection[Any], service_points: Sequence[str]) -> dict[str, str]:
    """The registry channel of each service point."""
    found = await rows(
        conn,
        "SELECT id, channel::text AS channel FROM service_points WHERE id = ANY(%(ids)s)",
        {"ids": list(service_points)},
    )
    return {r["id"]: r["channel"] for r in found}
