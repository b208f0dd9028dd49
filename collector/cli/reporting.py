"""`mlf-collector admin hours|served|public ...`: what reports rest on, from the operator's shell.

Opening hours (weekly pattern, holidays and closures), citizens served from a CSV file (all of it or
nothing, an error naming the line), and whether an organisation publishes its results. The same store
functions and rules as the API.
"""

from __future__ import annotations

import argparse
import csv
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from collector.api.routes.served import ServedIn, check_started, to_post
from collector.insight import schedule
from collector.store import opening_hours, public, registry, served
from collector.store.scope import EVERYWHERE

CSV_COLUMNS = ("service_point", "service", "day", "hour", "served")


class ReportingError(RuntimeError):
    pass


def add_parsers(nouns: Any) -> None:
    hours = nouns.add_parser("hours", help="opening hours").add_subparsers(dest="verb", required=True)
    p = hours.add_parser("set", help="the weekly pattern of the organisation, a site or a service point")
    _where(p)
    for day in schedule.WEEKDAYS:
        p.add_argument(f"--{day}", default="", metavar="HH:MM-HH:MM,...", help=f"{day}: intervals (none: closed)")
    p.set_defaults(run=hours_set)
    p = hours.add_parser("exception", help="a holiday or closure (no --open), or other hours, on one date")
    _where(p)
    p.add_argument("--date", required=True, type=date.fromisoformat, help="local date YYYY-MM-DD")
    p.add_argument("--open", default="", metavar="HH:MM-HH:MM,...", help="intervals open that day (none: closed)")
    p.add_argument("--note", default="", help='e.g. "Natale"')
    p.set_defaults(run=hours_exception)
    p = hours.add_parser("show", help="when a service point is open over local days")
    p.add_argument("--service-point", required=True)
    p.add_argument("--from", dest="start", type=date.fromisoformat, help="first local day (default: this Monday)")
    p.add_argument("--days", type=int, default=7)
    p.set_defaults(run=hours_show)

    served_ = nouns.add_parser("served", help="citizens served").add_subparsers(dest="verb", required=True)
    p = served_.add_parser(
        "import",
        help="post citizens served from a CSV file: all of it or nothing",
        description="Columns: " + ",".join(CSV_COLUMNS) + " (a header line first). Give day (YYYY-MM-DD) or "
        "hour (the start of a whole hour with its offset, 2026-10-05T09:00:00+02:00); leave service empty for "
        "all services. Posting a period again corrects it.",
    )
    p.add_argument("--org", required=True)
    p.add_argument("file", type=Path)
    p.set_defaults(run=served_import)

    pub = nouns.add_parser("public", help="public results").add_subparsers(dest="verb", required=True)
    p = pub.add_parser("set", help="publish (or stop publishing) an organisation's monthly results")
    p.add_argument("--org", required=True)
    p.add_argument("--enabled", action=argparse.BooleanOptionalAction, required=True)
    p.add_argument("--min-count", type=int, default=public.DEFAULT_MIN_COUNT, help="smallest cell shown")
    p.set_defaults(run=public_set)


def _where(p: Any) -> None:
    p.add_argument("--org", required=True)
    where = p.add_mutually_exclusive_group()
    where.add_argument("--site")
    where.add_argument("--service-point")


def _scope(args: argparse.Namespace) -> tuple[opening_hours.Kind, str]:
    if args.site:
        return "site", args.site
    if args.service_point:
        return "service_point", args.service_point
    return "organisation", ""


async def _org(conn: Any, org: str) -> dict[str, Any]:
    info = await registry.organisation(conn, org)
    if info is None:
        raise ReportingError(f"no organisation {org!r}")
    return info


def _intervals(text: str, what: str) -> tuple[schedule.Interval, ...]:
    try:
        return schedule.parse_intervals(text)
    except ValueError as exc:
        raise ReportingError(f"{what}: {exc}") from None


async def hours_set(conn: Any, args: argparse.Namespace, _s: Any) -> None:
    await _org(conn, args.org)
    kind, scope_id = _scope(args)
    weekly = {
        i + 1: iv for i, day in enumerate(schedule.WEEKDAYS) if (iv := _intervals(getattr(args, day), f"--{day}"))
    }
    await opening_hours.put_weekly(conn, args.org, kind, scope_id, weekly)
    where = "the organisation" if kind == "organisation" else f"{kind.replace('_', ' ')} {scope_id}"
    print(f"opening hours of {where} ({args.org}):")
    for i, day in enumerate(schedule.WEEKDAYS, start=1):
        shown = ", ".join(f"{schedule.clock(a)}-{schedule.clock(b)}" for a, b in weekly.get(i, ())) or "closed"
        print(f"  {day} {shown}")


async def hours_exception(conn: Any, args: argparse.Namespace, _s: Any) -> None:
    await _org(conn, args.org)
    kind, scope_id = _scope(args)
    intervals = _intervals(args.open, "--open")
    await opening_hours.put_exception(conn, args.org, kind, scope_id, args.date, intervals, args.note)
    shown = ", ".join(f"{schedule.clock(a)}-{schedule.clock(b)}" for a, b in intervals) or "closed"
    print(f"{args.date}: {shown}" + (f" ({args.note})" if args.note else ""))


async def hours_show(conn: Any, args: argparse.Namespace, _s: Any) -> None:
    sched = (await opening_hours.schedules(conn, [args.service_point], scope=EVERYWHERE)).get(args.service_point)
    if sched is None:
        raise ReportingError(f"no service point {args.service_point!r}")
    zone = sched.timezone
    today = datetime.now(UTC).astimezone(zone).date()
    first = args.start or today - timedelta(days=today.weekday())
    a = datetime.combine(first, datetime.min.time(), zone)
    b = datetime.combine(first + timedelta(days=args.days), datetime.min.time(), zone)
    if not sched.schedule.known:
        print(f"{args.service_point}: no opening hours set (for it, its site or its organisation)")
        return
    periods = schedule.open_periods(sched.schedule, a, b, zone)
    for x, y in periods:
        lx, ly = x.astimezone(zone), y.astimezone(zone)
        print(f"  {lx:%a %Y-%m-%d %H:%M} - {ly:%H:%M} {lx:%Z}")
    minutes = sum((y - x).total_seconds() for x, y in periods) / 60
    print(f"{args.service_point}: open {minutes / 60:.1f} hours from {first} for {args.days} days ({zone.key})")


def read_csv(path: Path, zone: ZoneInfo) -> list[served.Post]:
    """The posts of a CSV file; the first problem stops it, naming its line."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ReportingError(f"{path}: cannot read it ({exc})") from None
    reader = csv.DictReader(text.splitlines())
    if reader.fieldnames is None or set(reader.fieldnames) - set(CSV_COLUMNS) or "served" not in reader.fieldnames:
        raise ReportingError(f"{path}:1: the header must name columns among {','.join(CSV_COLUMNS)} (served required)")
    posts = []
    for row in reader:
        line = reader.line_num
        values = {k: v.strip() for k, v in row.items() if k is not None and v is not None and v.strip()}
        if None in row:
            raise ReportingError(f"{path}:{line}: more fields than the header names")
        try:
            values["served"] = int(values.get("served", ""))
        except ValueError:
            raise ReportingError(f"{path}:{line}: served must be a whole number, not {row.get('served')!r}") from None
        try:
            item = ServedIn.model_validate(values)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "line"
            raise ReportingError(f"{path}:{line}: {where}: {first['msg']}") from None
        posts.append(to_post(item, zone, f"{path.name}:{line}"))
    if not posts:
        raise ReportingError(f"{path}: no rows after the header")
    return posts


async def served_import(conn: Any, args: argparse.Namespace, _s: Any) -> None:
    info = await _org(conn, args.org)
    posts = read_csv(args.file, ZoneInfo(info["timezone"]))
    try:
        check_started(posts, datetime.now(UTC))
    except Exception as exc:  # the API's problem: the same words here
        raise ReportingError(getattr(exc, "detail", str(exc))) from None
    done = await served.post(conn, args.org, posts, scope=EVERYWHERE)
    print(f"{args.file}: {len(posts)} rows: {done.created} new, {done.corrected} corrected, {done.unchanged} unchanged")


async def public_set(conn: Any, args: argparse.Namespace, _s: Any) -> None:
    await _org(conn, args.org)
    if not 1 <= args.min_count <= 10_000:
        raise ReportingError("--min-count must be between 1 and 10000")
    await public.put(conn, args.org, public.PublicSettings(args.enabled, args.min_count))
    state = f"published (cells under {args.min_count} ratings hidden)" if args.enabled else "not published"
    print(f"results of {args.org}: {state}")
