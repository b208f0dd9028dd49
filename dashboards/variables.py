"""The filters every board offers: organisation, site, service, channel (each multi-value, with "All")."""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import QueryVariable
from grafana_foundation_sdk.cog.builder import Builder
from grafana_foundation_sdk.models.dashboard import (
    DataSourceRef,
    VariableModel,
    VariableOption,
    VariableRefresh,
    VariableSort,
)

from dashboards import datasource, texts
from dashboards.sql import ALL, among, dedent

ON_TIME_RANGE_CHANGE = VariableRefresh.ON_TIME_RANGE_CHANGED


def _query_variable(name: str, label: str, sql: str, *, multi: bool = True) -> QueryVariable:
    variable = (
        QueryVariable(name)
        .label(label)
        .datasource(DataSourceRef(type_val=datasource.TYPE, uid=datasource.UID))
        .query(dedent(sql))
        .refresh(VariableRefresh.ON_DASHBOARD_LOAD)
        .sort(VariableSort.ALPHABETICAL_CASE_INSENSITIVE_ASC)
        .multi(multi)
        .allow_custom_value(False)
    )
    if multi:
        everything = VariableOption(selected=True, text=["All"], value=["$__all"])
        variable = variable.include_all(True).all_value(ALL).current(everything)
    return variable


def organisation() -> QueryVariable:
    return _query_variable(
        "org", texts.both("Ente", "Organisation"), "SELECT id AS __value, name AS __text FROM organisations"
    )


def site() -> QueryVariable:
    return _query_variable(
        "site",
        texts.both("Sede", "Site"),
        f"SELECT id AS __value, name AS __text FROM sites WHERE {among('org_id', 'org')}",
    )


def service() -> QueryVariable:
    return _query_variable(
        "service",
        texts.both("Servizio", "Service"),
        f"""
        SELECT id AS __value, name || coalesce(' / ' || name_en, '') AS __text
        FROM services WHERE {among("org_id", "org")}
        """,
    )


def channel() -> QueryVariable:
    labels = " ".join(f"WHEN '{code}' THEN '{label}'" for code, label in texts.CHANNELS.items())
    return _query_variable(
        "channel",
        texts.both("Canale", "Channel"),
        f"""
        SELECT c::text AS __value, CASE c::text {labels} ELSE c::text END AS __text
        FROM unnest(enum_range(NULL::channel)) AS c
        """,
    )


def service_point() -> QueryVariable:
    """One service point (the service point board), among those of the chosen organisations and sites."""
    return _query_variable(
        "service_point",
        texts.both("Sportello", "Service point"),
        f"""
        SELECT id AS __value, name || ' (' || id || ')' AS __text FROM service_points
        WHERE {among("org_id", "org")} AND {among("site_id", "site")}
        """,
        multi=False,
    )


def filters() -> list[Builder[VariableModel]]:
    return [organisation(), site(), service(), channel()]
