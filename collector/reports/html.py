"""The monthly report as a page (to read on screen or print) and as PDF (that page, by WeasyPrint).

One Jinja2 template, texts from the one gettext catalogue (`_` in the template; `pybabel extract` finds
them through babel.cfg). The PDF is the same page laid out for A4 by its print style sheet: headings and
page numbers on every page, tables that continue with their header.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from collector.insight.effect import VERDICTS
from collector.reports import present
from collector.reports.legend import legend
from collector.reports.model import Level, MonthlyReport, Row
from face_art.svg import face_svg
from i18n import N_, translator

PRINT_POINTS = 400
"""In the PDF, the table of every service point is left to the spreadsheet past this many (the service points
below target are always listed): a printed report is read before a meeting, not searched."""


@dataclass(frozen=True)
class Cell:
    text: str
    kind: str
    state: str = ""


@cache
def environment() -> Environment:
    return Environment(
        loader=PackageLoader("collector.reports", "templates"),
        autoescape=select_autoescape(default=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _table(level: Level, rows: list[Row], lang: str) -> tuple[list[str], list[list[Cell]]]:
    """A compact table: shares with their interval in one cell, the flag with its reason."""
    t = translator(lang)

    def share(row: Row, face: str) -> str:
        if not row.counts.total:
            return "–"
        s = getattr(row.assessment, face)
        show = present.show
        return f"{show(s.share, 'share', lang, t)} ({show(s.low, 'share', lang, t)}–{show(s.high, 'share', lang, t)})"

    heads = [
        t(present.LEVEL_TITLES[level] if level != "organisation" else N_("Organisation")),
        t(N_("Ratings")),
        t(N_("Green")),
        t(N_("Yellow")),
        t(N_("Red")),
        t(N_("Green share ({confidence} interval)"), confidence=present.confidence(lang)),
        t(N_("Red share ({confidence} interval)"), confidence=present.confidence(lang)),
        t(N_("Misuse")),
        t(N_("Citizens served")),
        t(N_("Participation")),
        t(N_("Change from last month")),
        t(N_("Change from a year earlier")),
        t(N_("Flag")),
    ]
    body = []
    for row in rows:
        why = present.flag_why(row, t, lang, short=True)
        name = present.name(row, t) + (f" · {row.site}" if row.site else "")
        body.append(
            [
                Cell(name, "text"),
                Cell(present.show(row.counts.total, "count", lang, t), "count"),
                Cell(present.show(row.counts.positive, "count", lang, t), "count"),
                Cell(present.show(row.counts.neutral, "count", lang, t), "count"),
                Cell(present.show(row.counts.negative, "count", lang, t), "count"),
                Cell(share(row, "positive"), "count"),
                Cell(share(row, "negative"), "count"),
                Cell(present.show(row.counts.misuse, "count", lang, t), "count"),
                Cell(present.show(row.participation.served, "count", lang, t), "count"),
                Cell(present.show(row.participation.rate, "share", lang, t), "count"),
                Cell(present.show(row.green_change, "points", lang, t), "count"),
                Cell(present.show(row.green_change_year, "points", lang, t), "count"),
                Cell(present.flag_text(row, t) + (f": {why}" if why else ""), "flag", row.assessment.state.value),
            ]
        )
    return heads, body


def render(report: MonthlyReport, lang: str, *, for_print: bool = False) -> str:
    t = translator(lang)
    points = report.levels["service_point"]
    tables = {level: _table(level, report.levels[level], lang) for level in ("site", "service", "channel")}
    all_points = not for_print or len(points) <= PRINT_POINTS
    template = environment().get_template("monthly.html")
    faces = {
        face: Markup(face_svg(face, 14, t(label)))  # noqa: S704 (our own SVG, titles escaped by face_svg)
        for face, label in (("positive", N_("Green")), ("neutral", N_("Yellow")), ("negative", N_("Red")))
    }
    return template.render(
        _=t,
        lang=lang,
        report=report,
        month=present.month_name(report.month, lang),
        headline=present.headline(report, t, lang),
        legend=legend(report, lang),
        tables=tables,
        titles={level: t(title) for level, title in present.LEVEL_TITLES.items()},
        below=_table("service_point", report.below_target, lang),
        points=_table("service_point", points if all_points else [], lang),
        all_points=all_points,
        point_count=len(points),
        reasons=report.reasons,
        label="it" if lang == "it" else "en",
        show=lambda v, kind: present.show(v, kind, lang, t),
        verdict=lambda code: t(VERDICTS[code]) if code else "",
        before_after=lambda before, after, change: present.before_after(before, after, change, lang, t),
        faces=faces,
        for_print=for_print,
        generated=report.generated_at,
    )


def render_pdf(report: MonthlyReport, lang: str) -> bytes:
    """The page laid out for A4 (WeasyPrint, imported here: it loads pango, which only PDFs need)."""
    import weasyprint

    html = render(report, lang, for_print=True)
    pdf: bytes = weasyprint.HTML(string=html).write_pdf()
    return pdf
