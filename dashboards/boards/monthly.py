"""Monthly view: per local month and service point, the counts per face, shares, misuse and the month's
flag; faces per month; reasons per month. The periodic report offices file, on screen."""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard

from dashboards import texts, variables
from dashboards.boards import common
from dashboards.boards.judged import interval, reasons_text, share, target_text
from dashboards.panels import coloured_text, field_properties, fixed_colour, percent, series_panel, table_panel, titled
from dashboards.sql import among, everything, local_start, single

UID = "mlf-monthly"
b = texts.both
COUNTS = ("positive", "neutral", "negative", "misuse")
MONTH_IN_RANGE = f"{local_start('m.month')} >= $__timeFrom() AND {local_start('m.month')} < $__timeTo()"


def _months() -> str:
    """Counts per local month and service point: the per-point tier when nothing narrows the view by
    service or channel (a third of the rows), the full monthly rollup otherwise."""
    columns = ", ".join(f"m.{c}" for c in COUNTS)
    return f"""
        months AS (
          SELECT m.month, m.service_point_id, {columns} FROM rollup_monthly_points m
          WHERE {everything("service", "channel")}
          UNION ALL
          SELECT m.month, m.service_point_id, {columns} FROM rollup_monthly m
          WHERE NOT ({everything("service", "channel")})
            AND {among("m.service_id", "service")} AND {among("m.channel", "channel")}
        )"""


def _per_month() -> str:
    sums = ", ".join(f"sum(m.{c})::bigint AS {c}" for c in COUNTS)
    return f"""
        WITH {_months()},
        per AS (
          SELECT m.month, sp.id, sp.name, s.name AS site, {sums}, t.min_green_share AS t_min_green_share,
                 t.max_red_share AS t_max_red_share, t.min_ratings AS t_min_ratings
          FROM months m
          JOIN service_points sp ON sp.id = m.service_point_id
          JOIN organisations o ON o.id = sp.org_id
          LEFT JOIN sites s ON s.id = sp.site_id
          CROSS JOIN LATERAL mlf_target(sp.org_id, sp.id, {single("service")}) AS t
          WHERE {among("sp.org_id", "org")} AND {among("sp.site_id", "site")} AND {MONTH_IN_RANGE}
          GROUP BY m.month, sp.id, sp.name, s.name, t.min_green_share, t.max_red_share, t.min_ratings
        ),
        f AS (
          SELECT per.*, positive + neutral + negative AS n,
                 mlf_flag(positive, neutral, negative, t_min_green_share, t_max_red_share, t_min_ratings) AS state,
                 mlf_flag_reasons(positive, neutral, negative, t_min_green_share, t_max_red_share, t_min_ratings)
                   AS reasons
          FROM per
        )
        SELECT to_char(f.month, 'YYYY-MM') AS "{b("Mese", "Month")}",
               f.state AS "{b("Stato", "State")}",
               f.name AS "{b("Sportello", "Service point")}",
               f.id AS "{b("Codice", "Code")}",
               f.site AS "{b("Sede", "Site")}",
               f.n AS "{b("Valutazioni", "Ratings")}",
               f.positive AS "{b("Verdi (n)", "Green (n)")}",
               f.neutral AS "{b("Gialli (n)", "Yellow (n)")}",
               f.negative AS "{b("Rossi (n)", "Red (n)")}",
               {share("f.positive")} AS "{b("Verdi", "Green")}",
               {interval("f.positive")} AS "{b("Verdi, intervallo 95%", "Green, 95% interval")}",
               {share("f.negative")} AS "{b("Rossi", "Red")}",
               f.misuse AS "{b("Abusi", "Misuse")}",
               {target_text()} AS "{b("Obiettivo", "Target")}",
               {reasons_text()} AS "{b("Perché", "Why")}"
        FROM f
        ORDER BY f.month DESC, mlf_flag_rank(f.state), mlf_wilson_high(f.positive, f.n),
                 mlf_wilson_low(f.negative, f.n) DESC, f.id"""


def _faces_per_month() -> str:
    labels = {"positive": b("Verdi", "Green"), "neutral": b("Gialli", "Yellow"), "negative": b("Rossi", "Red")}
    sums = ", ".join(f'sum(m.{face}) AS "{label}"' for face, label in labels.items())
    return f"""
        WITH {_months()}
        SELECT {local_start("m.month")} AS "time", {sums}
        FROM months m
        JOIN service_points sp ON sp.id = m.service_point_id
        JOIN organisations o ON o.id = sp.org_id
        WHERE {among("sp.org_id", "org")} AND {among("sp.site_id", "site")} AND {MONTH_IN_RANGE}
        GROUP BY 1
        ORDER BY 1"""


def _reasons_per_month() -> str:
    month = "date_trunc('month', x.day)::date"
    return f"""
        SELECT to_char({month}, 'YYYY-MM') AS "{b("Mese", "Month")}",
               coalesce(r.label_it || ' / ' || r.label_en, x.reason) AS "{b("Motivo", "Reason")}",
               sum(x.n) AS "{b("Valutazioni rosse", "Red ratings")}"
        FROM reason_daily x
        JOIN service_points sp ON sp.id = x.service_point_id
        JOIN organisations o ON o.id = sp.org_id
        LEFT JOIN reasons r ON r.org_id = sp.org_id AND r.code = x.reason
        WHERE {among("sp.org_id", "org")} AND {among("sp.site_id", "site")}
          AND {among("x.service_id", "service")} AND {among("x.channel", "channel")}
          AND {local_start(month)} >= $__timeFrom() AND {local_start(month)} < $__timeTo()
        GROUP BY {month}, 2
        HAVING sum(x.n) > 0
        ORDER BY {month} DESC, 3 DESC, 2"""


def build() -> Dashboard:
    per_month = (
        titled(
            table_panel(_per_month(), height=16),
            "Mese per mese, per sportello",
            "Month by month, per service point",
            "Per ogni mese locale che comincia nel periodo: valutazioni per faccia, quote, abusi esclusi e lo "
            "stato del mese con la stessa regola del resto (intervalli al 95%, minimo di valutazioni).",
            "For each local month starting in the period: ratings per face, shares, misuse excluded, and the "
            "month's state by the same rule as everywhere (95% intervals, minimum sample).",
        )
        .override_by_name(b("Stato", "State"), [coloured_text(), *field_properties(custom__width=190)])
        .override_by_name(b("Sportello", "Service point"), [common.link_to_service_point(b("Codice", "Code"))])
        .override_by_name(b("Verdi", "Green"), percent())
        .override_by_name(b("Rossi", "Red"), percent())
    )
    faces = titled(
        series_panel(_faces_per_month(), "bars", width=12),
        "Facce per mese",
        "Faces per month",
        "Valutazioni per faccia e mese locale, su tutti gli sportelli scelti.",
        "Ratings per face and local month, over every chosen service point.",
    )
    for label, colour in (
        (b("Verdi", "Green"), "green"),
        (b("Gialli", "Yellow"), "yellow"),
        (b("Rossi", "Red"), "red"),
    ):
        faces = faces.override_by_name(label, [fixed_colour(colour)])
    reasons = titled(
        table_panel(_reasons_per_month(), height=9, width=12),
        "Motivi dei rossi per mese",
        "Reasons for red faces per month",
        "Motivi scelti dopo una faccia rossa, per mese locale; abusi esclusi.",
        "Reasons picked after a red face, per local month; misuse excluded.",
    )
    return (
        common.dashboard(UID, b("Mettiamoci la faccia: mese per mese", "Mettiamoci la faccia: monthly"))
        .description(b("Il resoconto mensile per sportello", "The monthly report per service point"))
        .time("now-5M/M", "now/M")
        .refresh("1h")
        .variables(variables.filters())
        .with_panel(per_month)
        .with_panel(faces)
        .with_panel(reasons)
    )
