"""The monthly report as a spreadsheet: typed cells (numbers stay numbers, shares are fractions shown as
percentages), one sheet per level with a frozen, filterable header, sensible widths, in one language."""

from __future__ import annotations

import io
from typing import Any

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from collector.insight import flags
from collector.insight.effect import VERDICTS
from collector.reports import present
from collector.reports.legend import legend
from collector.reports.model import LEVELS, MonthlyReport, Row
from i18n import N_, translator

FLAG_COLOURS = {
    flags.FlagState.BELOW_TARGET: "#F8D7DA",
    flags.FlagState.ON_TARGET: "#D4EDDA",
    flags.FlagState.NOT_ENOUGH_DATA: "#E9ECEF",
}
NUMBER_FORMATS = {"count": "#,##0", "share": "0.0%", "points": '+0.0" pp";-0.0" pp";0.0" pp"', "hours": "#,##0.0"}


class _Formats:
    def __init__(self, book: xlsxwriter.Workbook) -> None:
        base = {"font_name": "Arial", "font_size": 10, "valign": "top"}
        self.title = book.add_format({**base, "bold": True, "font_size": 16})
        self.subtitle = book.add_format({**base, "font_size": 11, "font_color": "#444444"})
        self.header = book.add_format(
            {**base, "bold": True, "text_wrap": True, "bg_color": "#1F3864", "font_color": "#FFFFFF", "border": 1}
        )
        self.text = book.add_format({**base, "text_wrap": True})
        self.label = book.add_format({**base, "bold": True})
        self.unknown = book.add_format({**base, "italic": True, "font_color": "#6C757D", "align": "right"})
        self.date = book.add_format({**base, "num_format": "yyyy-mm-dd", "align": "left"})
        self.numbers = {kind: book.add_format({**base, "num_format": f}) for kind, f in NUMBER_FORMATS.items()}
        self.flags = {state: book.add_format({**base, "bg_color": colour}) for state, colour in FLAG_COLOURS.items()}


def _cell(sheet: Worksheet, row: int, col: int, value: present.Value, kind: present.Kind, f: _Formats, t: Any) -> None:
    if value is None:
        if kind == "share":
            sheet.write_string(row, col, t(present.UNKNOWN), f.unknown)
        else:
            sheet.write_blank(row, col, None, f.text)
    elif kind == "text":
        sheet.write_string(row, col, str(value), f.text)
    else:
        number = float(value) * (100 if kind == "points" else 1)
        sheet.write_number(row, col, number, f.numbers[kind])


def _table(sheet: Worksheet, cols: list[present.Column], rows: list[Row], f: _Formats, t: Any) -> None:
    sheet.set_row(0, 45)
    for c, col in enumerate(cols):
        sheet.write_string(0, c, col.title, f.header)
        sheet.set_column(c, c, col.width)
    flag_col = next(i for i, col in enumerate(cols) if col.title == t(N_("Flag")))
    for r, row in enumerate(rows, start=1):
        for c, col in enumerate(cols):
            _cell(sheet, r, c, col.value(row), col.kind, f, t)
        sheet.write_string(r, flag_col, present.flag_text(row, t), f.flags[row.assessment.state])
    sheet.freeze_panes(1, 1)
    sheet.autofilter(0, 0, max(1, len(rows)), len(cols) - 1)


def render(report: MonthlyReport, lang: str) -> bytes:
    t = translator(lang)
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False})
    month = present.month_name(report.month, lang)
    book.set_properties(
        {"title": t(N_("Monthly report {month}"), month=month), "subject": report.organisation_name, "company": ""}
    )
    f = _Formats(book)
    summary = book.add_worksheet(t(N_("Summary"))[:31])
    summary.set_column(0, 0, 42)
    summary.set_column(1, 1, 30)
    summary.write_string(0, 0, report.organisation_name, f.title)
    summary.write_string(1, 0, t(N_("Monthly report {month}"), month=month), f.subtitle)
    o = report.overall
    figures: list[tuple[str, present.Value, present.Kind]] = [
        (t(N_("Ratings")), o.counts.total, "count"),
        (t(N_("Green")), o.counts.positive, "count"),
        (t(N_("Yellow")), o.counts.neutral, "count"),
        (t(N_("Red")), o.counts.negative, "count"),
        (t(N_("Green share")), present._share(o, "positive", "share"), "share"),
        (t(N_("Red share")), present._share(o, "negative", "share"), "share"),
        (t(N_("Misuse (excluded)")), o.counts.misuse, "count"),
        (t(N_("Citizens served")), o.participation.served, "count"),
        (t(N_("Participation rate")), o.participation.rate, "share"),
        (t(N_("Green, change from last month")), o.green_change, "points"),
        (t(N_("Green, change from a year earlier")), o.green_change_year, "points"),
        (t(N_("Service points below target")), len(report.below_target), "count"),
        (t(N_("Service points")), len(report.levels["service_point"]), "count"),
    ]
    for i, (label, value, kind) in enumerate(figures, start=3):
        summary.write_string(i, 0, label, f.label)
        _cell(summary, i, 1, value, kind, f, t)
    at = 4 + len(figures)
    summary.write_string(at, 0, t(N_("How to read this report")), f.label)
    for i, line in enumerate(legend(report, lang), start=at + 1):
        summary.merge_range(i, 0, i, 5, line, f.text)
        summary.set_row(i, 30)
    for level in LEVELS:
        sheet = book.add_worksheet(t(present.LEVEL_TITLES[level])[:31])
        rows = [o] if level == "organisation" else report.levels[level]
        _table(sheet, present.columns(level, t, lang), rows, f, t)
    _reasons(book.add_worksheet(t(N_("Reasons after red"))[:31]), report, lang, f)
    below = book.add_worksheet(t(N_("Below target"))[:31])
    _table(below, present.columns("service_point", t, lang), report.below_target, f, t)
    _actions(book.add_worksheet(t(N_("Actions"))[:31]), report, lang, f)
    book.close()
    return out.getvalue()


def _reasons(sheet: Worksheet, report: MonthlyReport, lang: str, f: _Formats) -> None:
    t = translator(lang)
    heads = [(t(N_("Reason")), 44), (t(N_("Count")), 10), (t(N_("Share of red faces")), 12), (t(N_("Last month")), 10)]
    sheet.set_row(0, 30)
    for c, (title, width) in enumerate(heads):
        sheet.write_string(0, c, title, f.header)
        sheet.set_column(c, c, width)
    label = "it" if lang == "it" else "en"
    for r, reason in enumerate(report.reasons, start=1):
        sheet.write_string(r, 0, reason.labels.get(label, reason.code), f.text)
        sheet.write_number(r, 1, reason.count, f.numbers["count"])
        sheet.write_number(r, 2, reason.share_of_negative, f.numbers["share"])
        sheet.write_number(r, 3, reason.previous, f.numbers["count"])
    r = len(report.reasons) + 1
    sheet.write_string(r, 0, t(N_("No reason given")), f.text)
    sheet.write_number(r, 1, report.without_reason, f.numbers["count"])
    negative = report.overall.counts.negative
    if negative:
        sheet.write_number(r, 2, report.without_reason / negative, f.numbers["share"])
    sheet.freeze_panes(1, 1)


def _actions(sheet: Worksheet, report: MonthlyReport, lang: str, f: _Formats) -> None:
    t = translator(lang)
    heads = [(t(N_("Date")), 12), (t(N_("Service point")), 24), (t(N_("Service")), 20), (t(N_("Who (role)")), 22),
             (t(N_("What was changed")), 50), (t(N_("Expected effect")), 30), (t(N_("Green before")), 10),
             (t(N_("Green after")), 10),
             (t(N_("Green, change")), 10), (t(N_("Green, change: low")), 10), (t(N_("Green, change: high")), 10),
             (t(N_("Red before")), 10), (t(N_("Red after")), 10), (t(N_("Red, change")), 10),
             (t(N_("Red, change: low")), 10), (t(N_("Red, change: high")), 10), (t(N_("Effect")), 16)]  # fmt: skip
    sheet.set_row(0, 45)
    for c, (title, width) in enumerate(heads):
        sheet.write_string(0, c, title, f.header)
        sheet.set_column(c, c, width)
    for r, a in enumerate(report.actions, start=1):
        sheet.write_datetime(r, 0, a.day, f.date)
        for c, value in enumerate((a.service_point, a.service, a.role, a.description, a.expected_effect), start=1):
            sheet.write_string(r, c, value or "", f.text)
        c = 6
        for before, after, change in ((a.green_before, a.green_after, a.green_change),
                                      (a.red_before, a.red_after, a.red_change)):  # fmt: skip
            shares: list[tuple[float | None, present.Kind]] = [(before, "share"), (after, "share")]
            for number, kind in shares + [(v, "points") for v in change or (None, None, None)]:
                if number is None:
                    sheet.write_blank(r, c, None, f.text)
                else:
                    _cell(sheet, r, c, number, kind, f, t)
                c += 1
        sheet.write_string(r, c, t(VERDICTS[a.verdict]) if a.verdict else "", f.text)
    if not report.actions:
        sheet.write_string(1, 0, t(N_("No improvement actions recorded this month.")), f.text)
    sheet.freeze_panes(1, 0)
