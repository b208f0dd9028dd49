"""Response pieces shared by several routers: counts, shares with intervals, flags, targets, periods."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal, Self
from zoneinfo import ZoneInfo

from fastapi import Query
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from collector import flags
from collector.api.problems import ProblemError
from collector.store.reads import FaceCounts
from collector.store.targets import Target

ChannelName = Literal["counter", "phone", "web"]
EARLIEST, LATEST = date(1970, 1, 1), date(2999, 12, 31)


def _in_range(value: date) -> date:
    """Keep dates where time zone arithmetic and a year of padding cannot overflow."""
    day = value.date() if isinstance(value, datetime) else value
    if not EARLIEST <= day <= LATEST:
        raise ValueError(f"must be between {EARLIEST} and {LATEST}")
    return value


LocalDate = Annotated[date, AfterValidator(_in_range)]
Instant = Annotated[AwareDatetime, AfterValidator(_in_range)] | LocalDate

FromQuery = Annotated[
    Instant | None,
    Query(alias="from", description="Start: a local date (YYYY-MM-DD) or an instant with offset."),
]
ToQuery = Annotated[
    Instant | None,
    Query(alias="to", description="End, exclusive: a local date (its start) or an instant with offset."),
]
FromDate = Annotated[LocalDate | None, Query(alias="from", description="First local day (YYYY-MM-DD).")]
ToDate = Annotated[LocalDate | None, Query(alias="to", description="Day after the last one, local (exclusive).")]


class Counts(BaseModel):
    positive: int = Field(description="Green faces.")
    neutral: int = Field(description="Yellow faces.")
    negative: int = Field(description="Red faces.")

    @classmethod
    def of(cls, c: FaceCounts) -> Counts:
        return cls(positive=c.positive, neutral=c.neutral, negative=c.negative)


class ShareOut(BaseModel):
    share: float = Field(ge=0, le=1, description="Observed share of the face among counted ratings.")
    low: float = Field(ge=0, le=1, description="Lower bound of its 95% Wilson score interval.")
    high: float = Field(ge=0, le=1, description="Upper bound of its 95% Wilson score interval.")


class Shares(BaseModel):
    positive: ShareOut
    neutral: ShareOut
    negative: ShareOut


class TargetOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "min_green_share": 0.75,
                    "max_red_share": 0.1,
                    "min_ratings": 30,
                    "window_days": 28,
                    "source": "default",
                }
            ]
        }
    )

    min_green_share: float = Field(ge=0, le=1)
    max_red_share: float = Field(ge=0, le=1)
    min_ratings: int = Field(ge=1)
    window_days: int = Field(ge=1, le=366)
    source: Literal["service_point", "service", "organisation", "default"] = Field(
        description="Where it was set; the most specific one applies."
    )

    @classmethod
    def of(cls, t: Target) -> TargetOut:
        return cls(
            min_green_share=t.min_green_share,
            max_red_share=t.max_red_share,
            min_ratings=t.min_ratings,
            window_days=t.window_days,
            source=t.source,
        )


class Flag(BaseModel):
    state: flags.FlagState = Field(
        description="below_target only when the 95% interval misses the target with at least min_ratings ratings."
    )
    reasons: list[Literal["green_share_below_target", "red_share_above_limit"]] = Field(
        description="Which limit the interval misses (empty unless below target)."
    )


class Indicators(BaseModel):
    total: int = Field(description="Ratings counted (misuse excluded).")
    misuse: int = Field(description="Ratings marked as misuse: kept, not counted.")
    counts: Counts
    shares: Shares
    flag: Flag

    @classmethod
    def of(cls, c: FaceCounts, a: flags.Assessment, **more: Any) -> Self:
        """The indicators of counts and their assessment; `more` fills the fields of a subclass."""

        def share(s: flags.Share) -> ShareOut:
            return ShareOut(share=s.share, low=s.low, high=s.high)

        return cls(
            total=c.total,
            misuse=c.misuse,
            counts=Counts.of(c),
            shares=Shares(positive=share(a.positive), neutral=share(a.neutral), negative=share(a.negative)),
            flag=Flag(state=a.state, reasons=list(a.reasons)),
            **more,
        )


class PeriodOut(BaseModel):
    start: datetime = Field(description="Inclusive.")
    end: datetime = Field(description="Exclusive.")


DEFAULT_DAYS = 28
"""Period of the reads that take local dates, when none is given: the last 4 weeks, today included."""


def local_days(start: date | None, end: date | None, zone: ZoneInfo, now: datetime) -> tuple[date, date]:
    """[first, last) local days from optional `from`/`to` dates, by default the last `DEFAULT_DAYS`."""
    last = end or now.astimezone(zone).date() + timedelta(days=1)
    first = start or last - timedelta(days=DEFAULT_DAYS)
    if last <= first:
        raise ProblemError(422, "invalid-period", "Invalid period", "'to' must be after 'from'")
    return first, last
