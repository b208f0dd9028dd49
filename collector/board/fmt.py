"""Numbers, shares and times as a reader of one language writes them (Babel's CLDR data)."""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_skeleton
from babel.numbers import format_decimal, format_percent, get_group_symbol


@cache
def _symbols(language: str) -> tuple[str, str]:
    """The language's thousands separator and percent pattern ("{}%", "{} %"), read once from CLDR: a
    page of a hundred rows writes over a thousand numbers, and Babel parses its pattern at every call."""
    return get_group_symbol(language), format_percent(0.42, "#,##0%", locale=language).replace("42", "{}")


class Formats:
    def __init__(self, language: str, timezone: str = "Europe/Rome") -> None:
        self.language = language
        self.zone = ZoneInfo(timezone)

    def number(self, value: float | int | None) -> str:
        if value is None:
            return "–"
        if isinstance(value, int):
            return f"{value:,}".replace(",", _symbols(self.language)[0])
        return format_decimal(value, locale=self.language)

    def percent(self, share: float | None) -> str:
        """A share 0..1 as a whole percentage ("46%", "46 %")."""
        return "–" if share is None else _symbols(self.language)[1].format(self.number(round(share * 100)))

    def interval(self, low: float, high: float) -> str:
        """A 95% interval as "41–51%"."""
        return f"{self.number(round(low * 100))}–{self.percent(high)}"

    def when(self, instant: datetime | None, zone: str | None = None) -> str:
        """Date and time, short, in the given (or the board's) time zone."""
        if instant is None:
            return "–"
        local = instant.astimezone(ZoneInfo(zone) if zone else self.zone)
        return format_datetime(local, "short", locale=self.language)

    def day(self, value: date | datetime, zone: str | None = None) -> str:
        if isinstance(value, datetime):
            value = value.astimezone(ZoneInfo(zone) if zone else self.zone).date()
        return format_date(value, "medium", locale=self.language)

    def short_day(self, value: date | datetime, zone: str | None = None) -> str:
        """A day as an axis label: "3 nov", "Nov 3"."""
        if isinstance(value, datetime):
            value = value.astimezone(ZoneInfo(zone) if zone else self.zone).date()
        return format_skeleton("MMMd", value, locale=self.language)

    def iso_day(self, value: date | datetime, zone: str | None = None) -> str:
        if isinstance(value, datetime):
            value = value.astimezone(ZoneInfo(zone) if zone else self.zone).date()
        return value.isoformat()

    def duration(self, seconds: float | None) -> str:
        """A rough age: "45 s", "12 min", "3 h", "2 d" (units are international symbols)."""
        if seconds is None:
            return "–"
        for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
            if seconds >= size:
                return f"{self.number(int(seconds // size))} {unit}"
        return f"{self.number(int(seconds))} s"

    def skew(self, ms: int | None) -> str:
        """A clock's offset from ours, signed: "+1.2 s", "−3 min"."""
        if ms is None:
            return "–"
        sign = "+" if ms > 0 else "−" if ms < 0 else "±"
        seconds = abs(ms) / 1000
        if seconds < 60:
            return f"{sign}{format_decimal(round(seconds, 1), locale=self.language)} s"
        return f"{sign}{self.duration(seconds)}"
