"""One service point: its flag, the trend of green against the target with its confidence band, faces over
time, the hour x weekday matrix, the reasons for red faces ranked, its kiosks."""

from __future__ import annotations

from grafana_foundation_sdk.builders.common import StackingConfig
from grafana_foundation_sdk.builders.dashboard import Dashboard, FieldColor
from grafana_foundation_sdk.models.common import StackingMode
from grafana_foundation_sdk.models.dashboard import FieldColorModeId

from dashboards import datasource, texts, variables
from dashboards.boards import common, fleet
from dashboards.boards.judged import judged, share, target_text
from dashboards.panels import (
    coloured_text,
    field_properties,
    fixed_colour,
    heat_table,
    percent,
    series_panel,
    stat_panel,
    table_panel,
    titled,
)
from dashboards.sql import HOURS_IN_RANGE, among, local_start, single

UID = common.SERVICE_POINT_UID
b = texts.both
THIS = "sp.id = '$service_point'"
FILTERS = f"{among('x.service_id', 'service')} AND {among('x.channel', 'channel')}"
GREEN, LOW, HIGH, TARGET = (
    b("Verdi", "Green"),
    b("Minimo 95%", "Low 95%"),
    b("Massimo 95%", "High 95%"),
    b("Obiettivo", "Target"),
)
FACES = {
    "positive": (b("Verdi", "Green"), "green"),
    "neutral": (b("Gialli", "Yellow"), "yellow"),
    "negative": (b("Rossi", "Red"), "red"),
    "misuse": (b("Abusi", "Misuse"), "purple"),
}


def _head() -> str:
    return f"""
        {judged(THIS)}
        SELECT f.state AS "{b("Stato", "State")}", f.n AS "{b("Valutazioni", "Ratings")}",
               {share("f.positive")} AS "{GREEN}", {target_text()} AS "{TARGET}"
        FROM flagged f"""


def _trend() -> str:
    n = "sum(x.positive + x.neutral + x.negative)::bigint"
    return f"""
        SELECT {local_start("x.day")} AS "time",
               sum(x.positive)::float8 / nullif({n}, 0) AS "{GREEN}",
               mlf_wilson_low(sum(x.positive)::bigint, {n}) AS "{LOW}",
               mlf_wilson_high(sum(x.positive)::bigint, {n}) AS "{HIGH}",
               min(t.min_green_share) AS "{TARGET}"
        FROM rollup_daily x
        JOIN service_points sp ON sp.id = x.service_point_id
        JOIN organisations o ON o.id = sp.org_id
        CROSS JOIN LATERAL mlf_target(sp.org_id, sp.id, {single("service")}) AS t
        WHERE {THIS} AND {FILTERS}
          AND {local_start("x.day")} >= $__timeFrom() AND {local_start("x.day")} < $__timeTo()
        GROUP BY 1
        ORDER BY 1"""


def _faces() -> str:
    sums = ", ".join(f'sum(h.{face}) AS "{label}"' for face, (label, _) in FACES.items())
    return f"""
        SELECT $__timeGroupAlias(h.bucket, $__interval), {sums}
        FROM rollup_hourly h
        WHERE h.service_point_id = '$service_point' AND {HOURS_IN_RANGE}
          AND {among("h.service_id", "service")} AND {among("h.channel", "channel")}
        GROUP BY 1
        ORDER BY 1"""


def _hour_weekday(value: str) -> str:
    """Local hour (rows) by ISO weekday (columns) in the organisation's time zone."""
    days = ", ".join(f'max(c.value) FILTER (WHERE c.dow = {i}) AS "{day}"' for i, day in enumerate(texts.WEEKDAYS, 1))
    return f"""
        WITH cells AS (
          SELECT extract(isodow FROM h.bucket AT TIME ZONE o.timezone)::int AS dow,
                 extract(hour FROM h.bucket AT TIME ZONE o.timezone)::int AS hour,
                 sum(h.positive) AS positive, sum(h.positive + h.neutral + h.negative) AS n
          FROM rollup_hourly h
          JOIN service_points sp ON sp.id = h.service_point_id
          JOIN organisations o ON o.id = sp.org_id
          WHERE {THIS} AND {HOURS_IN_RANGE} AND {among("h.service_id", "service")} AND {among("h.channel", "channel")}
          GROUP BY 1, 2
        ),
        valued AS (SELECT dow, hour, {value} AS value FROM cells)
        SELECT lpad(hours.hour::text, 2, '0') || ':00' AS "{b("Ora", "Hour")}", {days}
        FROM generate_series(0, 23) AS hours(hour)
        LEFT JOIN valued c ON c.hour = hours.hour
        GROUP BY hours.hour
        ORDER BY hours.hour"""


def _reasons() -> str:
    count = b("Valutazioni rosse", "Red ratings")
    return f"""
        SELECT coalesce(r.label_it || ' / ' || r.label_en, x.reason) AS "{b("Motivo", "Reason")}",
               sum(x.n) AS "{count}",
               sum(x.n)::float8 / nullif(sum(sum(x.n)) OVER (), 0) AS "{b("Quota", "Share")}"
        FROM reason_daily x
        JOIN service_points sp ON sp.id = x.service_point_id
        JOIN organisations o ON o.id = sp.org_id
        LEFT JOIN reasons r ON r.org_id = sp.org_id AND r.code = x.reason
        WHERE {THIS} AND {FILTERS}
          AND {local_start("x.day")} >= $__timeFrom() AND {local_start("x.day")} < $__timeTo()
        GROUP BY 1
        HAVING sum(x.n) > 0
        ORDER BY 2 DESC, 1"""


def build() -> Dashboard:
    head = titled(
        stat_panel(_head(), width=24, height=4, text=True),
        "Lo sportello nel periodo",
        "The service point in the period",
        "Stato, valutazioni contate (abusi esclusi), quota di verdi e obiettivo che si applica.",
        "State, ratings counted (misuse excluded), green share and the target that applies.",
    ).override_by_name(GREEN, percent())
    trend = (
        titled(
            series_panel(_trend(), width=24),
            "Andamento dei verdi rispetto all'obiettivo",
            "Green share against the target",
            "Quota di verdi per giorno (ora locale), con la fascia dell'intervallo di confidenza al 95% e la linea "
            "dell'obiettivo. Una fascia larga vuol dire poche valutazioni quel giorno.",
            "Green share per local day, with its 95% confidence band and the target line. A wide band means few "
            "ratings that day.",
        )
        .unit("percentunit")
        .min(0)
        .max(1)
        .override_by_name(GREEN, [fixed_colour("green"), *field_properties(custom__lineWidth=2)])
        .override_by_name(
            HIGH,
            [
                fixed_colour("green"),
                *field_properties(custom__fillBelowTo=LOW, custom__lineWidth=0, custom__fillOpacity=15),
            ],
        )
        .override_by_name(LOW, [fixed_colour("green"), *field_properties(custom__lineWidth=0)])
        .override_by_name(
            TARGET,
            [fixed_colour("red"), *field_properties(custom__lineStyle={"fill": "dash", "dash": [10, 10]})],
        )
    )
    faces = (
        titled(
            series_panel(_faces(), "bars", width=24),
            "Facce nel tempo",
            "Faces over time",
            "Valutazioni per faccia, impilate; gli abusi a parte. Il passo segue lo zoom (almeno un'ora).",
            "Ratings per face, stacked; misuse apart. The step follows the zoom (an hour at least).",
        )
        .stacking(_stacked())
        .interval("1h")
    )
    for label, colour in FACES.values():
        faces = faces.override_by_name(label, [fixed_colour(colour)])
    green_matrix = (
        titled(
            heat_table(_hour_weekday("round(100.0 * positive / nullif(n, 0))")),
            "Verdi per ora e giorno (%)",
            "Green share by hour and weekday (%)",
            "Quota di verdi per ora locale e giorno della settimana; vuoto: nessuna valutazione.",
            "Green share by local hour and weekday; empty: no ratings.",
        )
        .min(0)
        .max(100)
    )
    volume_matrix = titled(
        heat_table(_hour_weekday("n")),
        "Valutazioni per ora e giorno",
        "Ratings by hour and weekday",
        "Quante valutazioni per ora locale e giorno della settimana.",
        "How many ratings by local hour and weekday.",
    ).color_scheme(_blues())
    reasons = titled(
        table_panel(_reasons(), height=9, width=12),
        "Motivi dei rossi, in ordine",
        "Reasons for red faces, ranked",
        "Motivi scelti dopo una faccia rossa, per giorni locali interi del periodo; abusi esclusi.",
        "Reasons picked after a red face, over the whole local days of the period; misuse excluded.",
    ).override_by_name(b("Quota", "Share"), percent())
    kiosks = titled(
        table_panel(fleet.kiosks_sql(THIS), height=9, width=12),
        "I suoi chioschi",
        "Its kiosks",
        "I chioschi dello sportello: collegamento, ultimo contatto, coda da inviare.",
        "The service point's kiosks: connection, last contact, outbox.",
    ).override_by_name(b("Stato", "State"), [coloured_text()])
    board = (
        common.dashboard(UID, b("Mettiamoci la faccia: sportello", "Mettiamoci la faccia: service point"))
        .description(b("Uno sportello nel dettaglio", "One service point in detail"))
        .time("now-27d/d", "now")
        .variables([*variables.filters(), variables.service_point()])
    )
    for panel in (head, trend, faces, green_matrix, volume_matrix, reasons, kiosks):
        board = board.with_panel(panel)
    return board


ACTIONS_SQL = f"""SELECT {local_start("a.taken_on")} AS time,
       a.role || ': ' || a.description || CASE WHEN a.expected_effect = '' THEN '' ELSE ' (' || a.expected_effect || ')'
         END AS text,
       'azione di miglioramento / improvement action' AS tags
FROM improvement_actions a
JOIN organisations o ON o.id = a.org_id
JOIN service_points sp ON sp.org_id = a.org_id AND (a.service_point_id = sp.id OR a.service_point_id IS NULL)
WHERE {THIS}
  AND {local_start("a.taken_on")} >= $__timeFrom() AND {local_start("a.taken_on")} < $__timeTo()
ORDER BY 1"""
"""Improvement actions of the service point (and of its organisation's services), on the day they took effect:
the moments the trend charts should be read around (their measured effect: the API and the monthly report)."""


def annotation_queries() -> list[dict[str, object]]:
    """Grafana annotation queries of this board (SQL ones, which the SDK's builders do not model)."""
    return [
        {
            "name": b("Azioni di miglioramento", "Improvement actions"),
            "datasource": dict(datasource.REF),
            "enable": True,
            "iconColor": "blue",
            "target": {"refId": "Anno", "editorMode": "code", "format": "table", "rawQuery": True,
                       "rawSql": ACTIONS_SQL},
        }
    ]  # fmt: skip


def _stacked() -> StackingConfig:
    return StackingConfig().mode(StackingMode.NORMAL)


def _blues() -> FieldColor:
    return FieldColor().mode(FieldColorModeId.CONTINUOUS_BLUES)
