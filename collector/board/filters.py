"""The board's period choices, turned into the `from`/`to` local dates the API takes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import Query
from pydantic import BeforeValidator

from collector.api.params import LocalDate
from collector.api.problems import ProblemError
from collector.api.schemas import ChannelName
from collector.insight.periods import next_month
from i18n import N_
from protocol.messages import Slug


def _blank_is_none(value: object) -> object:
    """A form's "all" choice and an empty date field arrive as empty strings: they mean no filter."""
    return None if value == "" else value


Blank = BeforeValidator(_blank_is_none)
SlugFilter = Annotated[Slug | None, Blank, Query()]
"""The slug's pattern on the slug, not on the parameter: a pattern on the parameter is applied to the None that
an "all" choice becomes, which pydantic refuses with a TypeError (a 500 for every form left at "All")."""
ChannelFilter = Annotated[ChannelName | None, Blank, Query()]

Preset = Literal["window", "7d", "30d", "90d", "month", "last-month", "year", "custom"]
PRESETS: dict[str, str] = {
    # Translators: period choice: each service point over its own target's window (e.g. the last 28 days).
    "window": N_("Target window"),
    "7d": N_("Last 7 days"),
    "30d": N_("Last 30 days"),
    "90d": N_("Last 90 days"),
    "month": N_("This month"),
    "last-month": N_("Last month"),
    "year": N_("This year"),
    # Translators: period choice: the dates given in the two date fields.
    "custom": N_("Dates below"),
}
PresetQuery = Annotated[Preset, Query(description="A period by name; `custom` takes `from` and `until`.")]
FromDay = Annotated[LocalDate | None, Blank, Query(alias="from")]
UntilDay = Annotated[LocalDate | None, Blank, Query(description="Last day, included.")]


def today(zone: str, now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(ZoneInfo(zone)).date()


def dates(preset: str, first: date | None, until: date | None, zone: str) -> tuple[date, date] | None:
    """[from, to) local dates of a preset (None: each service point's target window)."""
    day = today(zone)
    tomorrow = day + timedelta(days=1)
    match preset:
        case "window":
            return None
        case "7d" | "30d" | "90d":
            return tomorrow - timedelta(days=int(preset[:-1])), tomorrow
        case "month":
            return day.replace(day=1), tomorrow
        case "last-month":
            start = (day.replace(day=1) - timedelta(days=1)).replace(day=1)
            return start, next_month(start)
        case "year":
            return day.replace(month=1, day=1), tomorrow
    if first is None or until is None:
        raise ProblemError(422, "invalid-period", "Invalid period", "give both dates, or choose a period by name")
    if until < first:
        raise ProblemError(422, "invalid-period", "Invalid period", "the last day comes before the first")
    return first, until + timedelta(days=1)
