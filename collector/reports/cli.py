"""`mlf-collector report`: the monthly report of an organisation, written to a file."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg

from collector.config import CollectorSettings
from collector.reports import render
from collector.reports.data import monthly_report
from collector.store import registry
from collector.store.scope import EVERYWHERE
from i18n import LANGUAGES


class ReportError(RuntimeError):
    pass


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "report",
        help="write an organisation's monthly report (XLSX, PDF, HTML or JSON)",
        description="The monthly report of one organisation: per site, service, channel and service point, "
        "with shares and intervals, reasons after red, participation, changes, service points below target.",
    )
    p.add_argument("--org", required=True, help="organisation id")
    p.add_argument("--month", help="local month YYYY-MM (default: the last month that has ended)")
    p.add_argument("--format", choices=render.FORMATS, default="xlsx")
    p.add_argument("--lang", choices=LANGUAGES, default="it", help="language of the document (default: it)")
    p.add_argument("--out", required=True, type=Path, help="file to write")


def run(args: argparse.Namespace, settings: CollectorSettings) -> None:
    data = asyncio.run(_build(args, settings))
    args.out.write_bytes(data)
    print(f"wrote {args.out} ({len(data):,} bytes)")


async def _build(args: argparse.Namespace, settings: CollectorSettings) -> bytes:
    async with await psycopg.AsyncConnection.connect(settings.database_conninfo(), autocommit=True) as conn:
        info = await registry.organisation(conn, args.org)
        if info is None:
            raise ReportError(f"no organisation {args.org!r}")
        zone = ZoneInfo(info["timezone"])
        try:
            month = render.parse_month(args.month) if args.month else render.last_month(zone)
            render.check_over(month, zone)
        except render.MonthError as exc:
            raise ReportError(str(exc)) from None
        report = await monthly_report(conn, args.org, month, scope=EVERYWHERE)
    if args.format == "json":
        from collector.api.routes.reports import as_json

        return json.dumps(as_json(report).model_dump(mode="json"), ensure_ascii=False, indent=2).encode()
    return await asyncio.to_thread(render.render, report, args.format, args.lang)
