"""Service points judged over the dashboard's time range: the SQL the overview, the service point board and
the monthly view share. Counts come from the rollups, targets from `mlf_target`, the flag from `mlf_flag`:
nothing of the rule is spelled out here."""

from __future__ import annotations

from dashboards import texts
from dashboards.sql import HOURS_IN_RANGE, among, everything, single

COUNTS = ("positive", "neutral", "negative", "misuse")


def judged(points_where: str = "true") -> str:
    """CTEs ending in `flagged`: one row per service point in scope (org, site, and `points_where`), with
    its counts over the hours wholly inside the range, its target (`t_*`), `n`, `state` and `reasons`.
    Filtered by service or channel, only service points with such ratings are listed (as in the API)."""
    sums = ", ".join(f"sum(h.{c})::bigint AS {c}" for c in COUNTS)
    carried = ", ".join(f"coalesce(c.{c}, 0)::bigint AS {c}" for c in COUNTS)
    return f"""
        WITH points AS (
          SELECT sp.id, sp.name, sp.org_id, s.name AS site, t.min_green_share AS t_min_green_share,
                 t.max_red_share AS t_max_red_share, t.min_ratings AS t_min_ratings, t.source AS t_source
          FROM service_points sp
          LEFT JOIN sites s ON s.id = sp.site_id
          CROSS JOIN LATERAL mlf_target(sp.org_id, sp.id, {single("service")}) AS t
          WHERE {among("sp.org_id", "org")} AND {among("sp.site_id", "site")} AND {points_where}
        ),
        counts AS (
          SELECT h.service_point_id AS id, {sums}
          FROM rollup_hourly h
          WHERE {HOURS_IN_RANGE} AND {among("h.service_id", "service")} AND {among("h.channel", "channel")}
            AND h.service_point_id IN (SELECT id FROM points)
          GROUP BY 1
        ),
        judged AS (
          SELECT p.*, {carried}
          FROM points p LEFT JOIN counts c ON c.id = p.id
          WHERE ({everything("service", "channel")})
             OR coalesce(c.positive + c.neutral + c.negative + c.misuse, 0) > 0
        ),
        flagged AS (
          SELECT j.*, j.positive + j.neutral + j.negative AS n,
                 mlf_flag(j.positive, j.neutral, j.negative, j.t_min_green_share, j.t_max_red_share, j.t_min_ratings)
                   AS state,
                 mlf_flag_reasons(j.positive, j.neutral, j.negative, j.t_min_green_share, j.t_max_red_share,
                   j.t_min_ratings) AS reasons
          FROM judged j
        )"""


WORST_FIRST = "mlf_flag_rank(f.state), mlf_wilson_high(f.positive, f.n), mlf_wilson_low(f.negative, f.n) DESC, f.id"
"""The API's order (collector/insight/flags.py, WORST_FIRST): below target, on target, not enough data; then the
lowest upper bound of the green share, the highest lower bound of the red share."""


def share(count: str, n: str = "f.n") -> str:
    return f"{count}::float8 / nullif({n}, 0)"


def interval(count: str, n: str = "f.n") -> str:
    """'55–69%': the 95% Wilson interval of a share, as text."""
    low = f"round((100 * mlf_wilson_low({count}, {n}))::numeric)"
    high = f"round((100 * mlf_wilson_high({count}, {n}))::numeric)"
    return f"{low} || '–' || {high} || '%'"


def reasons_text(column: str = "f.reasons") -> str:
    """Why below target, in words: the codes of `mlf_flag_reasons` in both languages."""
    cases = " ".join(f"WHEN '{code}' THEN '{words}'" for code, words in texts.FLAG_REASONS.items())
    return f"array_to_string(ARRAY(SELECT CASE r {cases} ELSE r END FROM unnest({column}) AS r), '; ')"


def target_text(prefix: str = "f.t_") -> str:
    """'≥ 75% · ≤ 10% · n ≥ 30': the minimum green share, the maximum red share, the minimum sample."""
    green = f"round((100 * {prefix}min_green_share)::numeric)"
    red = f"round((100 * {prefix}max_red_share)::numeric)"
    return f"'≥ ' || {green} || '% · ≤ ' || {red} || '% · n ≥ ' || {prefix}min_ratings"


def judged_columns() -> str:
    """The columns a table of judged service points shows, in both languages."""
    b = texts.both
    return f"""
          f.state AS "{b("Stato", "State")}",
          f.name AS "{b("Sportello", "Service point")}",
          f.id AS "{b("Codice", "Code")}",
          f.site AS "{b("Sede", "Site")}",
          f.n AS "{b("Valutazioni", "Ratings")}",
          {share("f.positive")} AS "{b("Verdi", "Green")}",
          {interval("f.positive")} AS "{b("Verdi, intervallo 95%", "Green, 95% interval")}",
          {share("f.neutral")} AS "{b("Gialli", "Yellow")}",
          {share("f.negative")} AS "{b("Rossi", "Red")}",
          {interval("f.negative")} AS "{b("Rossi, intervallo 95%", "Red, 95% interval")}",
          f.misuse AS "{b("Abusi", "Misuse")}",
          {target_text()} AS "{b("Obiettivo", "Target")}",
          {reasons_text()} AS "{b("Perché", "Why")}\""""
