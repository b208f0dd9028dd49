"""Response pieces shared by several routers: counts, shares with intervals, flags, targets, periods."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal, Self, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, WithJsonSchema

from collector.insight import flags
from collector.insight.participation import Participation
from collector.store.reads import FaceCounts
from collector.store.targets import Target

ChannelName = Literal["counter", "phone", "web", "app", "paper"]
CHANNELS: tuple[str, ...] = get_args(ChannelName)
"""Every channel, in the order figures show them."""


def _utc(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


Timestamp = Annotated[
    datetime,
    PlainSerializer(_utc, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time", "examples": ["2026-11-23T08:00:00.000000Z"]}),
]
"""Every instant in an answer, in one format: UTC, microseconds, `Z` (local days are given as dates)."""


class Body(BaseModel):
    """Base of request bodies: an unknown field is refused (a typo must not leave a default in force), and
    numbers are numbers (`false` is no share)."""

    model_config = ConfigDict(extra="forbid", strict=True)


def _whole(value: object) -> object:
    return int(value) if isinstance(value, float) and value.is_integer() else value


WholeNumber = Annotated[int, BeforeValidator(_whole)]
"""An integer of a request body: JSON's 30.0 is the integer 30 (as JSON Schema says), `true` is none."""


def refuse_nulls(data: object, fields: tuple[str, ...], why: str) -> object:
    """A body's optional fields that are left out, never sent as null (`null` would read as "unset" to one
    client and as a value to another); for a `mode="before"` model validator."""
    if isinstance(data, dict) and any(k in data and data[k] is None for k in fields):
        raise ValueError(why)
    return data


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


class ChannelRow(Indicators):
    channel: ChannelName


class ParticipationOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"served": 1840, "rated": 276, "rate": 0.15, "coverage": 0.92}]}
    )

    served: int | None = Field(
        description="Citizens served in the periods posted wholly inside this one; null: nothing posted."
    )
    rated: int = Field(description="Ratings (misuse excluded) given in those very periods, services and points.")
    rate: float | None = Field(description="rated / served; null (unknown) when nothing was posted.")
    coverage: float | None = Field(
        description="Share of this view's ratings that fall in periods with citizens served; null when unknown."
    )

    @classmethod
    def of(cls, p: Participation) -> ParticipationOut:
        return cls(served=p.served, rated=p.rated, rate=p.rate, coverage=p.coverage)


class PeriodOut(BaseModel):
    start: Timestamp = Field(description="Inclusive.")
    end: Timestamp = Field(description="Exclusive.")
