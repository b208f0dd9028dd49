"""`mlf-dashboards`: generate the dashboards, check them, write provisioning files, push to a Grafana."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from dashboards import datasource, generate, provisioning


def _connection(args: argparse.Namespace) -> datasource.Connection:
    return datasource.Connection(
        host=args.db_host,
        database=args.db_name,
        user=args.db_user,
        sslmode=args.db_sslmode,
        timescaledb=not args.no_timescaledb,
    )


def _secret(path: str | None, variable: str, what: str) -> str | None:
    if path:
        try:
            return Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SystemExit(f"mlf-dashboards: cannot read the {what} file {path}: {exc.strerror}") from None
    return os.environ.get(variable) or None


def _push(args: argparse.Namespace) -> int:
    from dashboards.grafana_api import Grafana, GrafanaError
    from dashboards.push import push

    token = _secret(args.token_file, "MLF_GRAFANA_TOKEN", "token")
    if not token:
        print("mlf-dashboards: no Grafana token: give --token-file or set MLF_GRAFANA_TOKEN", file=sys.stderr)
        return 2
    password = _secret(args.db_password_file, "MLF_GRAFANA_DB_PASSWORD", "database password")
    try:
        grafana = Grafana(args.url, token)
        changes = push(grafana, _connection(args), password, args.board_url, args.dry_run)
    except GrafanaError as exc:
        print(f"mlf-dashboards: {exc}", file=sys.stderr)
        return 1
    for change in changes:
        print(("would " if args.dry_run and change.action != "unchanged" else "") + str(change))
    return 0


def _provision(args: argparse.Namespace) -> int:
    out = Path(args.out)
    for relative, text in provisioning.files(_connection(args), args.board_url, args.dashboards_path).items():
        path = out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(path)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mlf-dashboards", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("generate", help="write dashboards/generated/*.json and dashboards/provisioning/ from the code")
    sub.add_parser("check", help="fail if the committed files differ from a fresh generation")

    def installation(p: argparse.ArgumentParser) -> None:
        env = os.environ.get
        p.add_argument(
            "--board-url",
            default=env("MLF_BOARD_URL", provisioning.DEFAULT_BOARD_URL),
            help="the collector's address, for the alerts' links to its /board (env MLF_BOARD_URL)",
        )
        p.add_argument(
            "--db-host",
            default=env("MLF_GRAFANA_DB_HOST", "localhost:5432"),
            help="host:port of the collector's database as Grafana reaches it",
        )
        p.add_argument("--db-name", default=env("MLF_GRAFANA_DB_NAME", "mlf"))
        p.add_argument(
            "--db-user",
            default=env("MLF_GRAFANA_DB_USER", "mlf_grafana"),
            help="a read-only role (dashboards/README.md shows the grants)",
        )
        p.add_argument("--db-sslmode", default=env("MLF_GRAFANA_DB_SSLMODE", "disable"))
        p.add_argument("--no-timescaledb", action="store_true", help="the database is plain PostgreSQL")

    provision = sub.add_parser("provision", help="write Grafana provisioning files for this installation")
    installation(provision)
    provision.add_argument("--out", required=True, help="Grafana's provisioning folder (or a copy of it)")
    provision.add_argument(
        "--dashboards-path",
        default=provisioning.DEFAULT_DASHBOARDS_PATH,
        help="where Grafana will find the JSON of dashboards/generated/",
    )
    push = sub.add_parser("push", help="create or update everything in a Grafana through its HTTP API")
    installation(push)
    push.add_argument(
        "--url",
        default=os.environ.get("MLF_GRAFANA_URL", "http://localhost:3000"),
        help="Grafana's address (env MLF_GRAFANA_URL)",
    )
    push.add_argument(
        "--token-file",
        default=os.environ.get("MLF_GRAFANA_TOKEN_FILE"),
        help="file holding a service account token (or env MLF_GRAFANA_TOKEN); never on the command line",
    )
    push.add_argument(
        "--db-password-file",
        default=os.environ.get("MLF_GRAFANA_DB_PASSWORD_FILE"),
        help="file holding the database password (or env MLF_GRAFANA_DB_PASSWORD)",
    )
    push.add_argument("--dry-run", action="store_true", help="read Grafana and say what would change; write nothing")
    args = parser.parse_args(argv)
    if args.command == "generate":
        for path in generate.write():
            print(path)
        return 0
    if args.command == "check":
        stale = generate.drift()
        for path in stale:
            print(f"differs from a fresh generation: {path}", file=sys.stderr)
        return 1 if stale else 0
    if args.command == "provision":
        return _provision(args)
    return _push(args)


if __name__ == "__main__":
    sys.exit(main())
