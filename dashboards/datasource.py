"""The one Grafana data source every panel and alert rule reads: the collector's PostgreSQL/TimescaleDB."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

UID = "mlf-postgres"
TYPE = "grafana-postgresql-datasource"
NAME = "Mettiamoci la faccia"
REF = {"type": TYPE, "uid": UID}


@dataclass(frozen=True)
class Connection:
    """Where Grafana finds the collector's database (as Grafana's server reaches it, not as we do)."""

    host: str = "localhost:5432"
    """host:port"""
    database: str = "mlf"
    user: str = "mlf_grafana"
    sslmode: str = "disable"
    timescaledb: bool = True
    """Grafana's `$__timeGroup` becomes TimescaleDB's `time_bucket()`; off for plain PostgreSQL."""


def definition(connection: Connection, password: str | None = None) -> dict[str, Any]:
    """The data source as Grafana's HTTP API and its provisioning files describe it."""
    body: dict[str, Any] = {
        "uid": UID,
        "name": NAME,
        "type": TYPE,
        "access": "proxy",
        "url": connection.host,
        "user": connection.user,
        "isDefault": False,
        "jsonData": {
            "database": connection.database,
            "sslmode": connection.sslmode,
            "postgresVersion": 1500,
            "timescaledb": connection.timescaledb,
            "maxOpenConns": 10,
            "timeInterval": "1h",  # the finest rollup: no panel asks for less than an hour
        },
    }
    if password is not None:
        body["secureJsonData"] = {"password": password}
    return body
