"""The report's tables as columns (a title and a typed value per row), shared by the spreadsheet and the page,
so both say the same thing under the same headings. Texts are marked for the one gettext catalogue."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Literal

from babel.dates import format_date
from babel.numbers import format_decimal, format_percent

from collector.reports.model import Level, MonthlyReport, Row
from i18n import N_, Translator
from i18n.manager import FLAGS

Kind = Literal["text", "count", "share", "points", "hours"]
"""How a value is typed and shown: text; a whole number; a share (0-1, shown as %); a difference of shares
(in percentage points); hours."""
Value = str | int | float | None


@dataclass(frozen=True)
class Column:
    title: str
    kind: Kind
    value: Callable[[Row], Value]
    width: int = 10
    """Spreadsheet column width, in characters."""


LEVEL_TITLES: dict[Level, str] = {
    "organisation": N_("Organisation"),
    "site": N_("Sites"),
    "service": N_("Services"),
    "channel": N_("Channels"),
    "service_point": N_("Service points"),
}
CHANNELS = {
    "counter": N_("Counter"),
    "phone": N_("Phone"),
    "web": N_("Web"),
    "app": N_("App"),
    "paper": N_("Paper"),
}
FLAG_REASONS = {
    "green_share_below_target": N_("green share below target ({target})"),
    "red_share_above_limit": N_("red share above limit ({limit})"),
}
FLAG_REASONS_SHORT = {
    "green_share_below_target": N_("green < {target}"),
    "red_share_above_limit": N_("red > {limit}"),
}
NO_SITE = N_("(no site)")
NO_SERVICE = N_("(no service named)")
UNKNOWN = N_("unknown")


def name(row: Row, t: Translator) -> str:
    if row.level == "channel":
        return t(CHANNELS.get(row.key, row.key))
    if not row.key and row.level in ("site", "service"):
        return t(NO_SITE if row.level == "site" else NO_SERVICE)
    return row.name


def flag_text(row: Row, t: Translator) -> str:
    return t(FLAGS[row.assessment.state])


def flag_why(row: Row, t: Translator, lang: str, *, short: bool = False) -> str:
    """Which limits the intervals miss, with the target's values (`short`: for a narrow table cell)."""
    target = format_percent(row.target.min_green_share, locale=lang)
    limit = format_percent(row.target.max_red_share, locale=lang)
    texts = FLAG_REASONS_SHORT if short else FLAG_REASONS
    return ("; " if not short else ", ").join(t(texts[r], target=target, limit=limit) for r in row.assessment.reasons)


def _share(row: Row, face: str, part: str) -> float | None:
    if not row.counts.total:
        return None
    share = getattr(row.assessment, face)
    value: float = getattr(share, part)
    return value


def columns(level: Level, t: Translator, lang: str) -> list[Column]:
    """The columns of one level's table, in order."""
    first = {
        "organisation": N_("Organisation"),
        "site": N_("Site"),
        "service": N_("Service"),
        "channel": N_("Channel"),
        "service_point": N_("Service point"),
    }[level]
    conf = confidence(lang)
    out = [Column(t(first), "text", lambda r: name(r, t), 30)]
    if level == "service_point":
        out.append(Column(t(N_("Site")), "text", lambda r: r.site or t(NO_SITE), 22))
    out += [
        Column(t(N_("Ratings")), "count", lambda r: r.counts.total, 9),
        Column(t(N_("Green")), "count", lambda r: r.counts.positive, 8),
        Column(t(N_("Yellow")), "count", lambda r: r.counts.neutral, 8),
        Column(t(N_("Red")), "count", lambda r: r.counts.negative, 8),
        Column(t(N_("Green share")), "share", lambda r: _share(r, "positive", "share"), 9),
        Column(t(N_("Green, {confidence} low"), confidence=conf), "share", lambda r: _share(r, "positive", "low"), 9),
        Column(t(N_("Green, {confidence} high"), confidence=conf), "share", lambda r: _share(r, "positive", "high"), 9),
        Column(t(N_("Red share")), "share", lambda r: _share(r, "negative", "share"), 9),
        Column(t(N_("Red, {confidence} low"), confidence=conf), "share", lambda r: _share(r, "negative", "low"), 9),
        Column(t(N_("Red, {confidence} high"), confidence=conf), "share", lambda r: _share(r, "negative", "high"), 9),
        Column(t(N_("Misuse (excluded)")), "count", lambda r: r.counts.misuse, 9),
        Column(t(N_("Citizens served")), "count", lambda r: r.participation.served, 10),
        Column(t(N_("Participation rate")), "share", lambda r: r.participation.rate, 11),
        Column(t(N_("Ratings last month")), "count", lambda r: r.previous.total, 10),
        Column(t(N_("Green, change from last month")), "points", lambda r: r.green_change, 12),
        Column(t(N_("Ratings a year earlier")), "count", lambda r: r.year_ago.total, 10),
        Column(t(N_("Green, change from a year earlier")), "points", lambda r: r.green_change_year, 12),
        Column(t(N_("Flag")), "text", lambda r: flag_text(r, t), 16),
        Column(t(N_("Why")), "text", lambda r: flag_why(r, t, lang), 34),
    ]
    if level == "service_point":
        out.append(Column(t(N_("Hours open")), "hours", lambda r: r.open_hours, 9))
    return out


def confidence(lang: str) -> str:
    """'95%' as the language writes it (texts name it by a placeholder: a bare % confuses gettext tools)."""
    return format_percent(0.95, locale=lang)


def before_after(
    before: float | None, after: float | None, change: tuple[float, float, float] | None, lang: str, t: Translator
) -> tuple[str, str]:
    """An action's share before and after ('75,0% → 90,0%'), and its change with the interval ('' if none)."""
    shown = [show(v, "share", lang, t) if v is not None else "–" for v in (before, after)]
    if change is None:
        return f"{shown[0]} → {shown[1]}", ""
    points = [show(v, "points", lang, t) for v in change]
    return f"{shown[0]} → {shown[1]}", t(
        N_("{change} ({confidence} interval: {low} to {high})"),
        change=points[0], confidence=confidence(lang), low=points[1], high=points[2],
    )  # fmt: skip


def month_name(month: date, lang: str) -> str:
    """'ottobre 2026', 'October 2026': as the language writes it inside a sentence or a title."""
    return format_date(month, "LLLL yyyy", locale=lang)


def show(value: Value, kind: Kind, lang: str, t: Translator) -> str:
    """A value as people read it in `lang` (the page and the PDF)."""
    if value is None:
        return "–" if kind != "share" else t(UNKNOWN)
    if kind == "text":
        return str(value)
    if kind == "count":
        return format_decimal(value, locale=lang)
    if kind == "share":
        return format_percent(value, "#,##0.0%", locale=lang)
    if kind == "points":
        assert isinstance(value, float)
        return ("+" if value > 0 else "") + format_decimal(value * 100, "#,##0.0", locale=lang) + " pp"
    return format_decimal(value, "#,##0.0", locale=lang)


def headline(report: MonthlyReport, t: Translator, lang: str) -> list[tuple[str, str, str]]:
    """The first page's figures: label, value, and a detail under it (an interval, a comparison)."""
    o = report.overall
    below = len(report.below_target)
    points = len(report.levels["service_point"])
    part = o.participation
    return [
        (
            t(N_("Ratings")),
            show(o.counts.total, "count", lang, t),
            t(N_("last month {n}"), n=show(o.previous.total, "count", lang, t)),
        ),
        (
            t(N_("Green share")),
            show(_share(o, "positive", "share"), "share", lang, t),
            _interval(o, "positive", lang, t),
        ),
        (t(N_("Red share")), show(_share(o, "negative", "share"), "share", lang, t), _interval(o, "negative", lang, t)),
        (
            t(N_("Participation rate")),
            show(part.rate, "share", lang, t),
            ""
            if part.served is None
            else t(N_("{served} citizens served"), served=show(part.served, "count", lang, t)),
        ),
        (t(N_("Green, change from last month")), show(o.green_change, "points", lang, t), ""),
        (t(N_("Green, change from a year earlier")), show(o.green_change_year, "points", lang, t), ""),
        (t(N_("Service points below target")), t(N_("{below} of {points}"), below=below, points=points), ""),
        (t(N_("Misuse (excluded)")), show(o.counts.misuse, "count", lang, t), ""),
    ]


def _interval(row: Row, face: str, lang: str, t: Translator) -> str:
    if not row.counts.total:
        return ""
    s = getattr(row.assessment, face)
    low, high = show(s.low, "share", lang, t), show(s.high, "share", lang, t)
    return t(N_("{confidence} interval {low}–{high}"), confidence=confidence(lang), low=low, high=high)
