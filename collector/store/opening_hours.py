"""Opening hours at rest, and which hours apply to a service point.

The most specific weekly pattern set applies whole: the service point's own, else its site's, else the
organisation's. An exception (a holiday, a closure, a shorter day) replaces one day's pattern; the most
specific exception of that day wins, so a closure of the organisation closes every site unless a site says
otherwise. Instants are computed by `collector.insight.schedule` (DST-correct); this module answers "was
this service point open during [t0, t1)?" and "how many minutes was it open?" for alerts and reports.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from psycopg import AsyncConnection
from psycopg.types.range import Range

from collector.insight import schedule
from collector.store.registry import RegistryError, not_found, rows
from collector.store.scope import OrgScope

Kind = Literal["organisation", "site", "service_point"]
SPECIFIC = {"service_point": 0, "site": 1, "organisation": 2}


@dataclass(frozen=True)
class Hours:
    """What one scope set: its weekly pattern (empty: none set) and its exceptions."""

    weekly: dict[int, tuple[schedule.Interval, ...]]
    exceptions: dict[date, tuple[tuple[schedule.Interval, ...], str]]
    """day -> (intervals, note); no intervals: closed."""


async def check_scope(conn: AsyncConnection[Any], org: str, kind: Kind, scope_id: str) -> None:
    """The site or service point must be the organisation's (404 otherwise, as if it did not exist)."""
    if kind == "organisation":
        return
    table = "sites" if kind == "site" else "service_points"
    found = await rows(conn, f"SELECT org_id FROM {table} WHERE id = %(id)s", {"id": scope_id})  # noqa: S608
    if not found or found[0]["org_id"] != org:
        raise not_found(kind.replace("_", " "), scope_id)


async def get(conn: AsyncConnection[Any], org: str, kind: Kind, scope_id: str) -> Hours:
    key = {"org": org, "kind": kind, "id": scope_id}
    weekly: dict[int, list[schedule.Interval]] = defaultdict(list)
    for r in await rows(
        conn,
        "SELECT weekday, opens, closes FROM opening_hours WHERE org_id = %(org)s AND scope = %(kind)s"
        " AND scope_id = %(id)s ORDER BY weekday, opens",
        key,
    ):
        weekly[r["weekday"]].append((r["opens"], r["closes"]))
    exceptions = {
        r["day"]: (tuple((i.lower, i.upper) for i in r["intervals"]), r["note"])
        for r in await rows(
            conn,
            "SELECT day, note, intervals FROM opening_exceptions WHERE org_id = %(org)s AND scope = %(kind)s"
            " AND scope_id = %(id)s ORDER BY day",
            key,
        )
    }
    return Hours({d: tuple(v) for d, v in weekly.items()}, exceptions)


async def put_weekly(
    conn: AsyncConnection[Any], org: str, kind: Kind, scope_id: str, weekly: dict[int, tuple[schedule.Interval, ...]]
) -> None:
    """Replace the scope's weekly pattern (an empty one: the scope inherits again)."""
    await check_scope(conn, org, kind, scope_id)
    key = {"org": org, "kind": kind, "id": scope_id}
    async with conn.transaction():
        await conn.execute(
            "DELETE FROM opening_hours WHERE org_id = %(org)s AND scope = %(kind)s AND scope_id = %(id)s", key
        )
        async with conn.cursor() as cur:
            await cur.executemany(
                "INSERT INTO opening_hours (org_id, scope, scope_id, weekday, opens, closes)"
                " VALUES (%(org)s, %(kind)s, %(id)s, %(weekday)s, %(opens)s, %(closes)s)",
                [
                    {**key, "weekday": weekday, "opens": a, "closes": b}
                    for weekday, intervals in sorted(weekly.items())
                    for a, b in schedule.checked(intervals)
                ],
            )


async def put_exception(
    conn: AsyncConnection[Any],
    org: str,
    kind: Kind,
    scope_id: str,
    day: date,
    intervals: tuple[schedule.Interval, ...],
    note: str = "",
) -> None:
    await check_scope(conn, org, kind, scope_id)
    await conn.execute(
        "INSERT INTO opening_exceptions (org_id, scope, scope_id, day, note, intervals)"
        " VALUES (%(org)s, %(kind)s, %(id)s, %(day)s, %(note)s, %(intervals)s)"
        " ON CONFLICT (org_id, scope, scope_id, day) DO UPDATE SET note = EXCLUDED.note,"
        " intervals = EXCLUDED.intervals",
        {
            "org": org,
            "kind": kind,
            "id": scope_id,
            "day": day,
            "note": note,
            "intervals": [Range(a, b, "[)") for a, b in schedule.checked(intervals)],
        },
    )


async def replace(conn: AsyncConnection[Any], org: str, kind: Kind, scope_id: str, hours: Hours) -> None:
    """The scope's hours become exactly `hours` (pattern and exceptions), in one transaction."""
    async with conn.transaction():
        await put_weekly(conn, org, kind, scope_id, hours.weekly)
        await conn.execute(
            "DELETE FROM opening_exceptions WHERE org_id = %(org)s AND scope = %(kind)s AND scope_id = %(id)s",
            {"org": org, "kind": kind, "id": scope_id},
        )
        for day, (intervals, note) in sorted(hours.exceptions.items()):
            await put_exception(conn, org, kind, scope_id, day, intervals, note)


async def delete_exception(conn: AsyncConnection[Any], org: str, kind: Kind, scope_id: str, day: date) -> bool:
    cur = await conn.execute(
        "DELETE FROM opening_exceptions WHERE org_id = %(org)s AND scope = %(kind)s AND scope_id = %(id)s"
        " AND day = %(day)s",
        {"org": org, "kind": kind, "id": scope_id, "day": day},
    )
    return cur.rowcount > 0


async def scopes(conn: AsyncConnection[Any], org: str) -> list[tuple[Kind, str]]:
    """The scopes of the organisation that set hours or exceptions, organisation first."""
    found = await rows(
        conn,
        "SELECT scope, scope_id FROM opening_hours WHERE org_id = %(org)s"
        " UNION SELECT scope, scope_id FROM opening_exceptions WHERE org_id = %(org)s",
        {"org": org},
    )
    return sorted(((r["scope"], r["scope_id"]) for r in found), key=lambda k: (-SPECIFIC[k[0]], k[1]))


@dataclass(frozen=True)
class PointSchedule:
    service_point: str
    timezone: ZoneInfo
    schedule: schedule.Schedule


async def schedules(
    conn: AsyncConnection[Any], service_points: list[str], *, scope: OrgScope
) -> dict[str, PointSchedule]:
    """The hours that apply to each service point (of the caller's scope; others are left out)."""
    points = await rows(
        conn,
        "SELECT sp.id, sp.org_id, coalesce(sp.site_id, '') AS site_id, o.timezone FROM service_points sp"
        " JOIN organisations o ON o.id = sp.org_id WHERE sp.id = ANY(%(ids)s)"
        " AND (%(scope_org)s::text IS NULL OR sp.org_id = %(scope_org)s)",
        {"ids": service_points, **scope.params},
    )
    if not points:
        return {}
    orgs = sorted({p["org_id"] for p in points})
    keys = {"orgs": orgs, "ids": [p["id"] for p in points], "sites": sorted({p["site_id"] for p in points})}
    wanted = (
        " WHERE org_id = ANY(%(orgs)s) AND (scope = 'organisation' OR (scope = 'site' AND scope_id = ANY(%(sites)s))"
        " OR (scope = 'service_point' AND scope_id = ANY(%(ids)s)))"
    )
    weekly: dict[tuple[str, str, str], dict[int, list[schedule.Interval]]] = defaultdict(lambda: defaultdict(list))
    hours_query = "SELECT * FROM opening_hours" + wanted + " ORDER BY weekday, opens"  # noqa: S608 (constants)
    for r in await rows(conn, hours_query, keys):
        weekly[(r["org_id"], r["scope"], r["scope_id"])][r["weekday"]].append((r["opens"], r["closes"]))
    exceptions: dict[tuple[str, str, str], dict[date, tuple[schedule.Interval, ...]]] = defaultdict(dict)
    exceptions_query = "SELECT * FROM opening_exceptions" + wanted  # noqa: S608 (constants)
    for r in await rows(conn, exceptions_query, keys):
        exceptions[(r["org_id"], r["scope"], r["scope_id"])][r["day"]] = tuple(
            (i.lower, i.upper) for i in r["intervals"]
        )
    out = {}
    for p in points:
        chain = [
            (p["org_id"], "service_point", p["id"]),
            (p["org_id"], "site", p["site_id"]),
            (p["org_id"], "organisation", ""),
        ]
        pattern = next((weekly[k] for k in chain if k in weekly), None)
        days: dict[date, tuple[schedule.Interval, ...]] = {}
        for k in reversed(chain):  # the most specific last, so it wins
            days.update(exceptions.get(k, {}))
        found = schedule.Schedule({d: tuple(v) for d, v in pattern.items()} if pattern else None, days)
        out[p["id"]] = PointSchedule(p["id"], ZoneInfo(p["timezone"]), found)
    return out


async def open_periods(
    conn: AsyncConnection[Any], service_points: list[str], start: datetime, end: datetime, *, scope: OrgScope
) -> dict[str, list[schedule.TimeRange] | None]:
    """When each service point was open within [start, end), in UTC; None where no hours are known."""
    return {
        sp: schedule.open_periods(s.schedule, start, end, s.timezone) if s.schedule.known else None
        for sp, s in (await schedules(conn, service_points, scope=scope)).items()
    }


async def open_minutes(
    conn: AsyncConnection[Any], service_points: list[str], start: datetime, end: datetime, *, scope: OrgScope
) -> dict[str, float | None]:
    """Minutes each service point was open within [start, end); None where no hours are known."""
    periods = await open_periods(conn, service_points, start, end, scope=scope)
    return {sp: None if p is None else sum((b - a).total_seconds() for a, b in p) / 60 for sp, p in periods.items()}


async def was_open(conn: AsyncConnection[Any], service_point: str, start: datetime, end: datetime) -> bool | None:
    """Was the service point open at any moment of [start, end)? None: no hours known, or no such point."""
    found = (await open_periods(conn, [service_point], start, end, scope=OrgScope())).get(service_point)
    return None if found is None else bool(found)


def error(detail: str) -> RegistryError:
    return RegistryError(422, "invalid-hours", "Invalid opening hours", detail)
