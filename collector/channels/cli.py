"""`mlf-collector poster`: the printable poster of a service point's rating page."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from collector.channels.poster import PAPER_SIZES, poster_pdf
from collector.channels.urls import link_url
from collector.cli.documents import CommandError, connect, document_parser, write
from collector.config import CollectorSettings
from collector.store import channel_links
from collector.store.registry import RegistryError, rows
from collector.store.scope import EVERYWHERE


def add_parser(sub: Any) -> None:
    p = document_parser(
        sub,
        "poster",
        help="write the printable poster (PDF) of a service point's web rating page",
        description="A4 or A5 PDF with the question, the three faces and a QR code to the service point's rating "
        "page, in Italian and English. Makes the rating link when the service point has none yet.",
        languages=("it", "en"),
        language_help="first language (the other follows)",
    )
    p.add_argument("--service-point", required=True, help="service point id")
    p.add_argument("--service", help="a poster for one service of it (its own link)")
    p.add_argument("--size", choices=PAPER_SIZES, default="A4")
    p.add_argument("--base-url", help="where citizens reach the collector (default: COLLECTOR_PUBLIC_URL)")
    p.add_argument("--out", type=Path, help="file to write (default: poster-<service point>.pdf)")


def run(args: argparse.Namespace, settings: CollectorSettings) -> None:
    url, place = asyncio.run(_link(args, settings))
    out: Path = args.out or Path(f"poster-{args.service_point}{'-' + args.service if args.service else ''}.pdf")
    write(out, poster_pdf(url, place, args.size, args.lang), f" for {url}")


async def _link(args: argparse.Namespace, settings: CollectorSettings) -> tuple[str, str]:
    async with await connect(settings) as conn:
        found = await rows(conn, "SELECT org_id FROM service_points WHERE id = %s", (args.service_point,))
        if not found:
            raise CommandError(f"no service point {args.service_point!r}")
        try:
            link, _ = await channel_links.link_for(
                conn, found[0]["org_id"], args.service_point, args.service, rotate=False, scope=EVERYWHERE
            )
        except RegistryError as exc:
            raise CommandError(exc.detail) from None
    place = " · ".join(p for p in (link.org_name, link.service_point_name, link.service_name) if p)
    return link_url(args.base_url or settings.public_url, link.id), place
