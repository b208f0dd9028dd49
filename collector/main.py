"""`mlf-collector`: run the collector, check its configuration, or migrate the database."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import TYPE_CHECKING

from pydantic import ValidationError

from collector.api.ingest_port import PROCESS_ROLES, ProcessRole
from collector.channels import cli as poster_cli
from collector.cli import admin
from collector.cli.documents import CommandError
from collector.config import CollectorSettings, unknown_variables
from collector.preflight import PreflightError, check_broker, check_database, describe_settings_error
from collector.reports import cli as report_cli
from collector.store.migrate import MigrationError

if TYPE_CHECKING:
    from fastapi import FastAPI

log = logging.getLogger("collector")


def setup_logging(level: str) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def load_settings() -> CollectorSettings:
    if unknown := unknown_variables(dict(os.environ), "COLLECTOR_", CollectorSettings):
        raise PreflightError("invalid configuration: " + "; ".join(unknown))
    try:
        return CollectorSettings()
    except ValidationError as exc:
        raise PreflightError(f"invalid configuration: {describe_settings_error(exc)}") from None


def serve(settings: CollectorSettings, role: ProcessRole = "all") -> None:
    """Run ingest and the API (`all`), or one of them: `api` (no MQTT connection) or `ingest` (the HTTP
    listener then serves only /healthz and /metrics)."""
    from collector.api.app import create_app

    check_database(settings.database_conninfo())
    pipeline = None
    if role != "api":
        from collector.ingest.mqtt_link import MqttLink
        from collector.ingest.pipeline import IngestPipeline

        check_broker(settings)
        pipeline = IngestPipeline(settings, MqttLink(settings))
    run_http(create_app(settings, pipeline, role=role), settings)


def run_http(app: FastAPI, settings: CollectorSettings) -> None:
    """Serve `app` with uvicorn until stopped, with the serving process's garbage collection policy."""
    import uvicorn

    from collector.config import proxies
    from collector.ingest.gc_policy import TimedCollection

    collection = TimedCollection(settings.gc_interval_s)
    collection.start()
    log.info("API on http://%s:%d (docs at /docs)", settings.http_host, settings.http_port)
    try:
        trusted = proxies(settings.forwarded_allow_ips)
        uvicorn.run(
            app,
            host=settings.http_host,
            port=settings.http_port,
            log_level=settings.log_level.lower(),
            log_config=None,
            # The client's address is decided here, from settings only (never uvicorn's FORWARDED_ALLOW_IPS).
            proxy_headers=bool(trusted),
            forwarded_allow_ips=trusted or None,
        )
    finally:
        collection.stop()


def migrate_only(settings: CollectorSettings) -> None:
    from collector.api.app import apply_migrations

    check_database(settings.database_conninfo())
    applied = apply_migrations(settings.database_conninfo())
    print("applied: " + ", ".join(applied) if applied else "schema is up to date")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="mlf-collector",
        description="Collector of kiosk ratings: MQTT ingest, storage, REST API. "
        "Configured by COLLECTOR_* environment variables (see README).",
    )
    parser.add_argument("--validate-config", action="store_true", help="check the configuration and exit")
    sub = parser.add_subparsers(dest="command")
    serve_parser = sub.add_parser("serve", help="run ingest and API (default)")
    serve_parser.add_argument(
        "--role",
        choices=PROCESS_ROLES,
        default="all",
        help="all: ingest and API in one process (default); api: the REST API only (no MQTT connection); "
        "ingest: MQTT ingest only (HTTP serves /healthz and /metrics)",
    )
    sub.add_parser("migrate", help="apply database migrations and exit")
    admin.add_parser(sub)
    report_cli.add_parser(sub)
    poster_cli.add_parser(sub)
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        setup_logging(settings.log_level)
        if args.validate_config:
            print("configuration is valid")
            return 0
        if args.command == "migrate":
            migrate_only(settings)
        elif args.command == "admin":
            check_database(settings.database_conninfo())
            admin.run(args, settings)
        elif args.command == "report":
            check_database(settings.database_conninfo())
            report_cli.run(args, settings)
        elif args.command == "poster":
            check_database(settings.database_conninfo())
            poster_cli.run(args, settings)
        else:
            serve(settings, getattr(args, "role", "all"))
    except (
        PreflightError,
        MigrationError,
        admin.AdminError,
        CommandError,
    ) as exc:
        print(f"mlf-collector: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
