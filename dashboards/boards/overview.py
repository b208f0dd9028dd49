"""Overview: every service point worst first, with its flag, shares and intervals, volume and misuse."""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard

from dashboards import texts, variables
from dashboards.boards import common
from dashboards.boards.judged import WORST_FIRST, judged, judged_columns
from dashboards.panels import coloured_text, field_properties, percent, stat_panel, table_panel, titled

UID = "mlf-overview"
b = texts.both


def _totals() -> str:
    return f"""
        {judged()}
        SELECT count(*) FILTER (WHERE f.state = 'below_target') AS "{b("Sotto obiettivo", "Below target")}",
               count(*) FILTER (WHERE f.state = 'not_enough_data') AS "{b("Dati insufficienti", "Not enough data")}",
               coalesce(sum(f.n), 0) AS "{b("Valutazioni", "Ratings")}",
               coalesce(sum(f.misuse), 0) AS "{b("Abusi (esclusi)", "Misuse (excluded)")}"
        FROM flagged f"""


def _worst_first() -> str:
    return f"""
        {judged()}
        SELECT {judged_columns()}
        FROM flagged f
        ORDER BY {WORST_FIRST}"""


def build() -> Dashboard:
    totals = titled(
        stat_panel(_totals(), width=24, height=4),
        "In sintesi",
        "At a glance",
        "Sportelli sotto obiettivo e con dati insufficienti, valutazioni contate e abusi esclusi, nel periodo.",
        "Service points below target and with too little data, ratings counted and misuse excluded, in the period.",
    )
    table = titled(
        table_panel(_worst_first(), height=18),
        "Sportelli, dal peggiore",
        "Service points, worst first",
        "Sotto obiettivo solo quando l'intervallo di confidenza al 95% della quota di verdi resta tutto sotto il "
        "minimo, o quello dei rossi tutto sopra il limite, con almeno il numero minimo di valutazioni; con meno: "
        "dati insufficienti. Conta le ore intere del periodo; gli abusi (raffiche di pressioni) sono esclusi e "
        "contati a parte. Un clic sul nome apre lo sportello.",
        "Below target only when the 95% confidence interval of the green share lies wholly under the minimum, or "
        "that of the red share wholly over the limit, with at least the minimum number of ratings; with fewer: not "
        "enough data. Counts the whole hours of the period; misuse (bursts of presses) is excluded and counted "
        "apart. Click a name to open the service point.",
    )
    table = (
        table.override_by_name(b("Stato", "State"), [coloured_text(), *field_properties(custom__width=190)])
        .override_by_name(b("Sportello", "Service point"), [common.link_to_service_point(b("Codice", "Code"))])
        .override_by_name(b("Verdi", "Green"), percent())
        .override_by_name(b("Gialli", "Yellow"), percent())
        .override_by_name(b("Rossi", "Red"), percent())
    )
    return (
        common.dashboard(UID, b("Mettiamoci la faccia: panoramica", "Mettiamoci la faccia: overview"))
        .description(b("Tutti gli sportelli, dal peggiore", "Every service point, worst first"))
        .time("now-27d/d", "now")
        .variables(variables.filters())
        .with_panel(totals)
        .with_panel(table)
    )
