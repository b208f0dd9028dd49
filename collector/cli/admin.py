"""`mlf-collector admin ...`: the operator's commands (first admin key, registry, kiosks, targets).

They talk to the database directly (same COLLECTOR_* settings as the service) through the same store
functions as the API, so the rules are the same. A running collector picks the changes up within
`COLLECTOR_PROVISIONING_INTERVAL_S` (broker files, kiosk configs); `kiosk create` also rewrites the
broker files itself when they are configured, so the kiosk can connect at once.
"""

from __future__ import annotations

import argparse
import asyncio
import re
from collections.abc import Awaitable, Callable
from typing import Any

import psycopg

from collector.api.security import ROLES, new_key
from collector.cli import reporting
from collector.config import CollectorSettings
from collector.enrolment import cli as enrolment_cli
from collector.provisioning import broker_files
from collector.provisioning.reconciler import sync_broker_files
from collector.store import identity, keys, kiosks, registry, targets
from collector.store.scope import EVERYWHERE
from protocol import TopicKind, build_topic
from protocol.messages import SLUG_PATTERN

Command = Callable[[psycopg.AsyncConnection[Any], argparse.Namespace, CollectorSettings], Awaitable[None]]


class AdminError(RuntimeError):
    pass


def add_parser(sub: Any) -> None:
    admin = sub.add_parser("admin", help="operator commands: keys, organisations, sites, kiosks, targets")
    nouns = admin.add_subparsers(dest="noun", required=True)

    key = nouns.add_parser("key", help="API keys").add_subparsers(dest="verb", required=True)
    p = key.add_parser("create", help="create a key and print its token (shown once)")
    p.add_argument("--name", required=True, help="who or what uses it")
    p.add_argument("--role", choices=ROLES, default="reader")
    p.add_argument("--org", help="bind the key to one organisation")
    p.add_argument("--service-point", help="ingest keys: bind the key to one service point (and its organisation)")
    p.set_defaults(run=key_create)
    key.add_parser("list", help="list keys (never their secrets)").set_defaults(run=key_list)
    p = key.add_parser("sign-in-link", help="print a one-time link that signs a browser in to the board with a key")
    p.add_argument("id", help="the key's id (see `key list`): a reader or admin key")
    p.add_argument("--minutes", type=float, help="how long the link works (default COLLECTOR_BOARD_LINK_MINUTES)")
    p.add_argument("--base-url", help="where the board is served (default http://COLLECTOR_HTTP_HOST:_PORT)")
    p.set_defaults(run=key_sign_in_link)
    p = key.add_parser("revoke", help="revoke a key")
    p.add_argument("id")
    p.set_defaults(run=key_revoke)

    org = nouns.add_parser("org", help="organisations").add_subparsers(dest="verb", required=True)
    p = org.add_parser("create", help="register an organisation (with the default reasons catalogue)")
    p.add_argument("id")
    p.add_argument("--name", required=True)
    p.add_argument("--timezone", default="Europe/Rome")
    p.set_defaults(run=org_create)

    site = nouns.add_parser("site", help="sites (offices)").add_subparsers(dest="verb", required=True)
    p = site.add_parser("create")
    p.add_argument("id")
    p.add_argument("--org", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--region", help="Nord-Ovest, Nord-Est, Centro, Sud, Isole")
    p.set_defaults(run=site_create)

    sp = nouns.add_parser("service-point", help="service points (counters)").add_subparsers(dest="verb", required=True)
    p = sp.add_parser("create")
    p.add_argument("id")
    p.add_argument("--org", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--site")
    p.add_argument("--channel", choices=("counter", "phone", "web"), default="counter")
    p.set_defaults(run=sp_create)

    service = nouns.add_parser("service", help="services").add_subparsers(dest="verb", required=True)
    p = service.add_parser("create")
    p.add_argument("id")
    p.add_argument("--org", required=True)
    p.add_argument("--name", required=True, help="Italian name")
    p.add_argument("--name-en", help="English name")
    p.set_defaults(run=service_create)

    kiosk = nouns.add_parser("kiosk", help="kiosks").add_subparsers(dest="verb", required=True)
    p = kiosk.add_parser("create", help="register a kiosk and print its MQTT password (shown once)")
    p.add_argument("id")
    p.add_argument("--service-point", required=True)
    p.add_argument("--service", action="append", default=[], help="service offered (repeat for several)")
    p.add_argument("--cooldown", type=float, default=3.0, help="seconds between accepted presses")
    p.set_defaults(run=kiosk_create)
    p = kiosk.add_parser(
        "clear-conflict", help="each device behind this kiosk id has its own identity now: clear its conflict flag"
    )
    p.add_argument("id")
    p.set_defaults(run=kiosk_clear_conflict)
    for verb in (org, site, sp, service, kiosk):
        create = verb.choices["create"]
        create.add_argument("--if-missing", action="store_true", help="do nothing if it exists already")

    target = nouns.add_parser("target", help="targets").add_subparsers(dest="verb", required=True)
    p = target.add_parser("set", help="set the organisation default, or a service's or a service point's target")
    p.add_argument("--org", required=True)
    where = p.add_mutually_exclusive_group()
    where.add_argument("--service")
    where.add_argument("--service-point")
    p.add_argument(
        "--min-green", type=float, default=targets.DEFAULT_TARGET.min_green_share, help="minimum green share 0-1"
    )
    p.add_argument("--max-red", type=float, default=targets.DEFAULT_TARGET.max_red_share, help="maximum red share 0-1")
    p.add_argument("--min-ratings", type=int, default=targets.DEFAULT_TARGET.min_ratings)
    p.add_argument("--window-days", type=int, default=targets.DEFAULT_TARGET.window_days)
    p.set_defaults(run=target_set)

    reporting.add_parsers(nouns)
    enrolment_cli.add_parsers(nouns)


def run(args: argparse.Namespace, settings: CollectorSettings) -> None:
    for name in ("id", "org", "service_point", "site", "service", "kiosk_id"):
        value = getattr(args, name, None)
        if isinstance(value, str) and not re.fullmatch(SLUG_PATTERN, value):
            raise AdminError(f"{name.replace('_', '-')} {value!r} is not a valid identifier (lower-case a-z, 0-9, - _)")
    asyncio.run(_run(args.run, args, settings))


async def _run(command: Command, args: argparse.Namespace, settings: CollectorSettings) -> None:
    try:
        async with await psycopg.AsyncConnection.connect(settings.database_conninfo(), autocommit=True) as conn:
            await command(conn, args, settings)
    except registry.RegistryError as exc:
        if exc.status == 409 and getattr(args, "if_missing", False):
            print(f"{exc.detail}: left as it is")
            return
        raise AdminError(exc.detail) from None
    except reporting.ReportingError as exc:
        raise AdminError(str(exc)) from None
    except psycopg.errors.UndefinedTable:
        raise AdminError("the database has no schema yet: run `mlf-collector migrate` first") from None


async def key_create(conn: Any, args: argparse.Namespace, _s: CollectorSettings) -> None:
    key = new_key()
    await keys.create(
        conn,
        key.key_id,
        args.name,
        args.role,
        args.org,
        key.secret_sha256,
        service_point=args.service_point,
        scope=EVERYWHERE,
    )
    bound = args.service_point or args.org
    print(f"created {args.role} key {key.key_id}" + (f" for {bound}" if bound else ""))
    print("token (shown once, keep it safe):")
    print(key.token)


async def key_list(conn: Any, _a: argparse.Namespace, _s: CollectorSettings) -> None:
    for r in await keys.listing(conn, scope=EVERYWHERE):
        state = f"revoked {r['revoked_at']:%Y-%m-%d}" if r["revoked_at"] else "active"
        bound = "/".join(filter(None, (r["organisation"], r["service_point"]))) or "*"
        print(f"{r['id']}  {r['role']:<7} {bound:<24} {state:<18} {r['name']}")


async def key_revoke(conn: Any, args: argparse.Namespace, _s: CollectorSettings) -> None:
    if not await keys.revoke(conn, args.id, scope=EVERYWHERE):
        raise AdminError(f"no active key {args.id!r}")
    print(f"revoked {args.id}")


async def key_sign_in_link(conn: Any, args: argparse.Namespace, settings: CollectorSettings) -> None:
    from collector.board import session

    found = await keys.find(conn, args.id)
    if found is None or found.role not in session.SIGN_IN_ROLES:
        raise AdminError(f"no active reader or admin key {args.id!r}")
    minutes = args.minutes if args.minutes is not None else settings.board_link_minutes
    if not 0 < minutes <= 24 * 60:
        raise AdminError("--minutes must be more than 0 and at most 1440")
    token = await session.new_link(conn, args.id, minutes)
    base = (args.base_url or f"http://{settings.http_host}:{settings.http_port}").rstrip("/")
    print(f"one-time sign-in link for key {args.id} ({found.role}), valid {minutes:g} minutes, works once:")
    print(f"{base}/board/sign-in?link={token}")


async def org_create(conn: Any, args: argparse.Namespace, _s: CollectorSettings) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(args.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise AdminError(f"unknown time zone {args.timezone!r}") from None
    await registry.create_organisation(conn, args.id, args.name, args.timezone)
    print(f"created organisation {args.id} ({args.timezone}) with the default reasons catalogue")


async def site_create(conn: Any, args: argparse.Namespace, _s: CollectorSettings) -> None:
    await registry.create_site(conn, args.id, args.org, args.name, args.region)
    print(f"created site {args.id}")


async def sp_create(conn: Any, args: argparse.Namespace, _s: CollectorSettings) -> None:
    await registry.create_service_point(conn, args.id, args.org, args.site, args.name, args.channel)
    print(f"created service point {args.id}")


async def service_create(conn: Any, args: argparse.Namespace, _s: CollectorSettings) -> None:
    await registry.create_service(conn, args.org, args.id, args.name, args.name_en)
    print(f"created service {args.id}")


async def kiosk_create(conn: Any, args: argparse.Namespace, settings: CollectorSettings) -> None:
    if not 0 <= args.cooldown <= 600:
        raise AdminError("--cooldown must be between 0 and 600 seconds")
    password = broker_files.new_password()
    created = await kiosks.create(
        conn,
        args.id,
        args.service_point,
        broker_files.mosquitto_hash(password),
        args.service,
        args.cooldown,
        scope=EVERYWHERE,
    )
    org = created["org_id"]
    print(f"registered kiosk {args.id} of {org} at {args.service_point}")
    print(f"MQTT user name: {args.id}")
    print(f"MQTT password (shown once): {password}")
    print(f"it publishes on {build_topic(org, args.id, TopicKind.RATING)} (and heartbeat, status)")
    print(f"kiosk settings: KIOSK_KIOSK_ID={args.id} KIOSK_ORGANISATION={org} KIOSK_SERVICE_POINT={args.service_point}")
    with psycopg.connect(settings.database_conninfo(), autocommit=True) as sync:
        try:
            if sync_broker_files(sync, settings):
                print("broker password and ACL files updated")
        except broker_files.BrokerReloadError as exc:
            raise AdminError(f"kiosk registered and broker files written, but {exc}") from None


async def kiosk_clear_conflict(conn: Any, args: argparse.Namespace, settings: CollectorSettings) -> None:
    with psycopg.connect(settings.database_conninfo(), autocommit=True) as sync:
        if not identity.clear(sync, args.id):
            raise AdminError(f"kiosk {args.id!r} has no identity conflict (or does not exist)")
    print(f"identity conflict of kiosk {args.id} cleared: only what its devices send from now on counts again")


async def target_set(conn: Any, args: argparse.Namespace, _s: CollectorSettings) -> None:
    if not (0 <= args.min_green <= 1 and 0 <= args.max_red <= 1):
        raise AdminError("--min-green and --max-red are shares between 0 and 1 (0.8 is 80%)")
    if args.min_ratings < 1 or not 1 <= args.window_days <= 366:
        raise AdminError("--min-ratings must be at least 1 and --window-days between 1 and 366")
    kind: targets.Kind = "organisation"
    scope_id = ""
    if args.service:
        kind, scope_id = "service", args.service
    elif args.service_point:
        kind, scope_id = "service_point", args.service_point
    values = {
        "min_green_share": args.min_green,
        "max_red_share": args.max_red,
        "min_ratings": args.min_ratings,
        "window_days": args.window_days,
    }
    if await registry.organisation(conn, args.org) is None:
        raise AdminError(f"no organisation {args.org!r}")
    await targets.put(conn, args.org, kind, scope_id, values)
    what = "default" if kind == "organisation" else f"{kind.replace('_', ' ')} {scope_id}"
    print(
        f"target of {args.org} ({what}): green >= {args.min_green:.0%}, red <= {args.max_red:.0%}, "
        f"at least {args.min_ratings} ratings over {args.window_days} days"
    )
