"""`mlf-collector report`: the monthly report of an organisation, written to a file."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from collector.cli.documents import CommandError, connect, document_parser, write
from collector.config import CollectorSettings
from collector.reports import render
from collector.reports.data import monthly_report
from collector.store import registry
from collector.store.scope import EVERYWHERE
from i18n import LANGUAGES


def add_parser(sub: Any) -> None:
    p = document_parser(
        sub,
        "report",
        help="write an organisation's monthly report (XLSX, PDF, HTML or JSON)",
        description="The monthly report of one organisation: per site, service, channel and service point, "
        "with shares and intervals, reasons after red, participation, changes, service points below target.",
        languages=LANGUAGES,
        language_help="language of the document (default: it)",
    )
    p.add_argument("--org", required=True, help="organisation id")
    p.add_argument("--month", help="local month YYYY-MM (default: the last month that has ended)")
    p.add_argument("--format", choices=render.FORMATS, default="xlsx")
    p.add_argument("--out", required=True, type=Path, help="file to write")


def run(args: argparse.Namespace, settings: CollectorSettings) -> None:
    write(args.out, asyncio.run(_build(args, settings)))


async def _build(args: argparse.Namespace, settings: CollectorSettings) -> bytes:
    async with await connect(settings) as conn:
        info = await registry.organisation(conn, args.org)
        if info is None:
            raise CommandError(f"no organisation {args.org!r}")
        zone = ZoneInfo(info["timezone"])
        try:
            month = render.parse_month(args.month) if args.month else render.last_month(zone)
            render.check_over(month, zone)
        except render.MonthError as exc:
            raise CommandError(str(exc)) from None
        report = await monthly_report(conn, args.org, month, scope=EVERYWHERE)
    if args.format == "json":
        from collector.api.routes.reports import as_json

        return json.dumps(as_json(report).model_dump(mode="json"), ensure_ascii=False, indent=2).encode()
    return await asyncio.to_thread(render.render, report, args.format, args.lang)
