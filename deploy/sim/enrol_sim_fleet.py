"""Register the simulated kiosks of deploy/compose.yaml's `sim` profile in the collector's registry.

`mlf-sim run --kiosks N --org ORG` simulates `demo_fleet(N, ORG)`: this gives that fleet its
organisation, services, service points and kiosks, every kiosk with the one password in
`--password-file` (the compose secret `mqtt_sim_password`), so the fleet needs one secret rather than
one per kiosk. A real kiosk gets a password of its own (`POST /v1/kiosks`). The collector writes the
accounts into mosquitto's password and ACL files at its next reconciliation
(`COLLECTOR_PROVISIONING_INTERVAL_S`); the kiosks retry until then. Safe to run again: what exists is
kept, and the kiosks' password is set anew.

Reads the database settings the collector reads (`COLLECTOR_DATABASE_URL`, `..._PASSWORD_FILE`).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

import psycopg
from pydantic import ValidationError

from collector.config import CollectorSettings
from collector.provisioning.broker_files import mosquitto_hash
from collector.store import kiosks, registry
from collector.store.scope import EVERYWHERE
from envcheck import is_placeholder
from firmware_sim.citizens import demo_fleet


async def created(step: Awaitable[Any]) -> bool:
    """Run a registry write; False when what it creates is already there."""
    try:
        await step
    except registry.RegistryError as exc:
        if exc.status == 409:
            return False
        raise
    return True


async def enrol(conninfo: str, count: int, org: str, password: str, timezone: str) -> list[str]:
    """Register the fleet; the ids of the kiosks registered now (the others existed and got the password)."""
    points = demo_fleet(count, org=org)
    new = []
    async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
        await created(registry.create_organisation(conn, org, "Simulazione / Simulation", timezone))
        for service in sorted({s for p in points for s in p.services}):
            await created(registry.create_service(conn, org, service, service.replace("-", " ").capitalize()))
        for number, point in enumerate(points, 1):
            name = f"Sportello simulato {number} / Simulated counter {number}"
            await created(registry.create_service_point(conn, point.id, org, None, name, point.channel.value))
            secret = mosquitto_hash(password)
            offered = list(point.services)
            if await created(kiosks.create(conn, point.kiosk_id, point.id, secret, offered, 3.0, scope=EVERYWHERE)):
                new.append(point.kiosk_id)
            else:
                await kiosks.set_password(conn, point.kiosk_id, secret, scope=EVERYWHERE)
    return new


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--kiosks", type=int, required=True, help="as many as `mlf-sim run --kiosks`")
    parser.add_argument("--org", default="sim", help="as `mlf-sim --org`")
    parser.add_argument("--password-file", type=Path, required=True, help="the kiosks' MQTT password")
    args = parser.parse_args(argv)
    if not 1 <= args.kiosks <= 10_000:
        parser.error("--kiosks must be between 1 and 10000")
    try:
        settings = CollectorSettings()
        password = args.password_file.read_text(encoding="utf-8").strip()
    except (ValidationError, OSError) as exc:
        print(f"enrol_sim_fleet: {exc}", file=sys.stderr)
        return 2
    if is_placeholder(password):
        print(f"enrol_sim_fleet: {args.password_file} holds a placeholder: run deploy/make-secrets.sh", file=sys.stderr)
        return 2
    try:
        new = asyncio.run(enrol(settings.database_conninfo(), args.kiosks, args.org, password, settings.timezone))
    except (psycopg.Error, registry.RegistryError) as exc:
        print(f"enrol_sim_fleet: {exc}", file=sys.stderr)
        return 1
    print(f"{args.kiosks} simulated kiosk(s) of {args.org!r} enrolled ({len(new)} new)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
