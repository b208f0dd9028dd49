"""What every board shares: tags, links between boards, refresh, time zone."""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard, DashboardLink
from grafana_foundation_sdk.models import dashboard as model
from grafana_foundation_sdk.models.dashboard import DashboardLinkType

TAG = "mettiamoci-la-faccia"
SERVICE_POINT_UID = "mlf-service-point"
KEEP_FILTERS = "${__url_time_range}&${org:queryparam}&${site:queryparam}&${service:queryparam}&${channel:queryparam}"


def dashboard(uid: str, title: str) -> Dashboard:
    return (
        Dashboard(title)
        .uid(uid)
        .tags([TAG])
        .editable()
        .timezone("browser")
        .refresh("5m")
        .link(
            DashboardLink("Mettiamoci la faccia")
            .type(DashboardLinkType.DASHBOARDS)
            .tags([TAG])
            .as_dropdown(True)
            .include_vars(True)
            .keep_time(True)
        )
    )


def link_to_service_point(code_column: str) -> model.DynamicConfigValue:
    """A data link from a row to the service point board, keeping the time range and the filters."""
    url = f'/d/{SERVICE_POINT_UID}?var-service_point=${{__data.fields["{code_column}"]}}&{KEEP_FILTERS}'
    return model.DynamicConfigValue(
        id_val="links", value=[{"title": "Apri lo sportello / Open the service point", "url": url}]
    )
