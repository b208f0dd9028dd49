"""The report's formats, their media types and file names, and the month a report may be of."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from collector.insight.periods import midnight, next_month
from collector.reports import html, xlsx
from collector.reports.data import previous_month
from collector.reports.model import MonthlyReport

Format = Literal["json", "xlsx", "pdf", "html"]
Lang = Literal["it", "en", "fr", "de", "es"]
"""The catalogue's languages (`i18n.LANGUAGES`; a test checks they agree)."""
FORMATS: tuple[Format, ...] = ("json", "xlsx", "pdf", "html")
MEDIA_TYPES: dict[str, str] = {
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
    "html": "text/html; charset=utf-8",
}


class MonthError(ValueError):
    pass


def parse_month(text: str) -> date:
    try:
        return datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        raise MonthError(f"{text!r} is not a month YYYY-MM") from None


def last_month(zone: ZoneInfo, now: datetime | None = None) -> date:
    """The last local month that has ended."""
    today = (now or datetime.now(UTC)).astimezone(zone).date()
    return previous_month(today.replace(day=1))


def check_over(month: date, zone: ZoneInfo, now: datetime | None = None) -> None:
    """A report is of a month that has ended: a month in progress would change under its reader's eyes (and
    show the last hours, finer than readers may see)."""
    if midnight(next_month(month), zone) > (now or datetime.now(UTC)):
        raise MonthError(f"{month:%Y-%m} has not ended yet in {zone.key}: the last month that has is "
                         f"{last_month(zone, now):%Y-%m}")  # fmt: skip


def file_name(report: MonthlyReport, fmt: str, lang: str) -> str:
    return f"report-{report.organisation}-{report.month:%Y-%m}-{lang}.{fmt}"


def render(report: MonthlyReport, fmt: Format, lang: str) -> bytes:
    """The report as bytes of `fmt` (PDF and XLSX take a while for large organisations: call off the loop)."""
    if fmt == "xlsx":
        return xlsx.render(report, lang)
    if fmt == "pdf":
        return html.render_pdf(report, lang)
    if fmt == "html":
        return html.render(report, lang).encode()
    raise ValueError(f"render JSON through the API's model, not {fmt!r}")
