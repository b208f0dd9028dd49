"""Query parameters shared by several routers, and the rules of periods the OpenAPI document cannot state.

Dates and instants are strings in one form only (`YYYY-MM-DD`; RFC 3339 with an offset), between 1970 and
2999, where time zone arithmetic and a year of padding cannot overflow: the patterns below are both the
check and what the document declares, so a client generating requests from it sends nothing we refuse.
What no schema says is checked here, with one answer: 422 `invalid-period`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Query
from pydantic import AwareDatetime, BeforeValidator, WithJsonSchema

from collector.api.problems import ProblemError
from protocol.messages import SLUG_PATTERN

SlugQuery = Annotated[str | None, Query(pattern=SLUG_PATTERN)]

_DAY = r"(19[7-9][0-9]|2[0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
DATE_PATTERN = rf"^{_DAY}$"
INSTANT_PATTERN = (
    rf"^{_DAY}T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{{1,6}})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
)


def _matching(pattern: str, what: str) -> Callable[[object], object]:
    regex = re.compile(pattern)

    def check(value: object) -> object:
        if not isinstance(value, str) or not regex.fullmatch(value):
            raise ValueError(f"must be {what}")
        return value

    return check


LocalDate = Annotated[
    date,
    BeforeValidator(_matching(DATE_PATTERN, "a date YYYY-MM-DD from 1970 to 2999")),
    WithJsonSchema({"type": "string", "format": "date", "pattern": DATE_PATTERN}),
]
Instant = Annotated[
    AwareDatetime,
    BeforeValidator(_matching(INSTANT_PATTERN, "an instant YYYY-MM-DDThh:mm:ss with Z or an offset, 1970 to 2999")),
    WithJsonSchema({"type": "string", "format": "date-time", "pattern": INSTANT_PATTERN}),
]
WHOLE_HOUR_PATTERN = rf"^{_DAY}T([01][0-9]|2[0-3]):00:00(\.0{{1,6}})?(Z|[+-]([01][0-9]|2[0-3]):00)$"
WholeHour = Annotated[
    AwareDatetime,
    BeforeValidator(_matching(WHOLE_HOUR_PATTERN, "the start of a whole hour, YYYY-MM-DDThh:00:00 with Z or +hh:00")),
    WithJsonSchema({"type": "string", "format": "date-time", "pattern": WHOLE_HOUR_PATTERN}),
]
"""The start of an hour that is a whole UTC hour: minutes and seconds zero, an offset of whole hours."""
DateOrInstant = Instant | LocalDate

FromQuery = Annotated[
    DateOrInstant | None,
    Query(alias="from", description="Start: a local date (YYYY-MM-DD) or an instant with offset."),
]
ToQuery = Annotated[
    DateOrInstant | None,
    Query(alias="to", description="End, exclusive, after `from`: a local date (its start) or an instant with offset."),
]
FromDate = Annotated[LocalDate | None, Query(alias="from", description="First local day (YYYY-MM-DD).")]
ToDate = Annotated[
    LocalDate | None, Query(alias="to", description="Day after the last one, local (exclusive), after `from`.")
]

DEFAULT_DAYS = 28
"""Period of the reads that take local dates, when none is given: the last 4 weeks, today included."""


def invalid_period(detail: str) -> ProblemError:
    return ProblemError(422, "invalid-period", "Invalid period", detail)


def ordered(start: date, end: date) -> None:
    """`to` after `from` (dates with dates, instants with instants)."""
    if end <= start:
        raise invalid_period("'to' must be after 'from'")


def local_days(start: date | None, end: date | None, zone: ZoneInfo, now: datetime) -> tuple[date, date]:
    """[first, last) local days from optional `from`/`to` dates, by default the last `DEFAULT_DAYS`."""
    last = end or now.astimezone(zone).date() + timedelta(days=1)
    first = start or last - timedelta(days=DEFAULT_DAYS)
    ordered(first, last)
    return first, last
