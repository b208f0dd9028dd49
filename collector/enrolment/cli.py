"""`mlf-collector admin enrol-code create|list|revoke`: one-time codes for zero-touch kiosk enrolment.

`create` prints the code once (only a slow hash is kept) and its QR, in the terminal or as a PNG, SVG or
PDF file to print on the installer's work sheet. The same store functions and rules as the API.
"""

from __future__ import annotations

import argparse
from datetime import UTC
from pathlib import Path
from typing import Any

import segno

from collector.config import CollectorSettings
from collector.enrolment.codes import issue
from collector.store import enrolment
from collector.store.registry import RegistryError
from collector.store.scope import EVERYWHERE
from protocol.enrolment import qr_text

QR_KINDS = (".png", ".svg", ".pdf")


def add_parsers(nouns: Any) -> None:
    codes = nouns.add_parser("enrol-code", help="one-time codes that enrol a new kiosk (zero-touch)")
    verbs = codes.add_subparsers(dest="verb", required=True)
    p = verbs.add_parser("create", help="make a code for a service point and print it (shown once)")
    p.add_argument("--service-point", required=True, help="where the kiosk will stand")
    p.add_argument("--kiosk", dest="kiosk_id", help="kiosk id to give (an existing kiosk: its replacement device)")
    p.add_argument("--service", action="append", default=[], help="service offered (repeat for several)")
    p.add_argument("--days", type=float, help="how long the code works (default COLLECTOR_ENROL_CODE_DAYS, 7)")
    p.add_argument("--note", help="a note for you (which Pi, which installer)")
    p.add_argument("--url", help="the collector URL kiosks use, in the QR (default COLLECTOR_PUBLIC_URL)")
    p.add_argument("--qr", type=Path, metavar="FILE", help="write the QR to FILE (.png, .svg or .pdf)")
    p.add_argument("--qr-terminal", action="store_true", help="print the QR in the terminal")
    p.set_defaults(run=create)
    p = verbs.add_parser("list", help="codes and their state (pending, used, expired, revoked); never the codes")
    p.add_argument("--org", help="one organisation only")
    p.set_defaults(run=listing)
    p = verbs.add_parser("revoke", help="revoke a code not used yet")
    p.add_argument("code_id", type=int, help="its id, from `list`")
    p.set_defaults(run=revoke)


def _invalid(detail: str) -> RegistryError:
    return RegistryError(422, "invalid-request", "Invalid request", detail)


async def create(conn: Any, args: argparse.Namespace, settings: CollectorSettings) -> None:
    days = args.days if args.days is not None else settings.enrol_code_days
    if not 0.01 <= days <= 90:
        raise _invalid("--days must be between 0.01 (a quarter of an hour) and 90")
    if args.qr is not None and args.qr.suffix.lower() not in QR_KINDS:
        raise _invalid(f"--qr {args.qr}: the file must end in {', '.join(QR_KINDS)}")
    url = (args.url or settings.public_url).rstrip("/")
    if not url.startswith(("https://", "http://")):
        raise _invalid(f"--url {url!r} is not an http(s) URL")
    row, made = await issue(
        conn,
        service_point=args.service_point,
        kiosk_id=args.kiosk_id,
        services=args.service,
        days=days,
        note=args.note,
        scope=EVERYWHERE,
    )
    text = qr_text(made.code, url)
    kiosk = args.kiosk_id or f"{args.service_point}-k<n>"
    if row["replaces"]:
        kiosk += " (a new device: once the code is used, the old one stops working)"
    print(f"enrolment code {row['id']} for {row['service_point']} ({row['organisation']}), kiosk {kiosk}")
    print(f"works once, until {row['expires_at'].astimezone(UTC):%Y-%m-%d %H:%M} UTC; collector {url}")
    print(f"QR text: {text}")
    if args.qr is not None:
        segno.make(text, error="m").save(args.qr, scale=8, border=4)
        print(f"QR written to {args.qr}")
    if args.qr_terminal:
        segno.make(text, error="m").terminal(compact=True)
    print("code (shown once):")
    print(made.display)


async def listing(conn: Any, args: argparse.Namespace, _s: CollectorSettings) -> None:
    for r in await enrolment.listing(conn, scope=EVERYWHERE, org=args.org):
        kiosk = ("replaces " if r["replaces"] else "") + (r["redeemed_kiosk_id"] or r["kiosk_id"] or "-")
        print(
            f"{r['id']:>6}  {r['state']:<8} {r['organisation']:<12} {r['service_point']:<28} {kiosk:<28}"
            f" expires {r['expires_at']:%Y-%m-%d %H:%M}  {r['note'] or ''}".rstrip()
        )


async def revoke(conn: Any, args: argparse.Namespace, _s: CollectorSettings) -> None:
    row = await enrolment.revoke(conn, args.code_id, scope=EVERYWHERE)
    print(f"revoked enrolment code {row['id']} ({row['service_point']})")
