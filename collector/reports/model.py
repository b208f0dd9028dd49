"""What a monthly report holds, whatever it is rendered as (JSON, XLSX, HTML, PDF)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from collector.insight import flags
from collector.insight.participation import Participation
from collector.store.reads import FaceCounts
from collector.store.targets import Target

Level = Literal["organisation", "site", "service", "channel", "service_point"]
LEVELS: tuple[Level, ...] = ("organisation", "site", "service", "channel", "service_point")


@dataclass(frozen=True, slots=True)
class Compared:
    """The same view in another month."""

    total: int
    green_share: float | None
    red_share: float | None


@dataclass(frozen=True, slots=True)
class Row:
    level: Level
    key: str
    """Id of the site, service, channel or service point ('' for the organisation, for service points of no
    site, and for ratings that named no service)."""
    name: str
    counts: FaceCounts
    assessment: flags.Assessment
    target: Target
    participation: Participation
    previous: Compared
    """The month before."""
    year_ago: Compared
    """The same month a year earlier."""
    reasons: dict[str, int]
    """Reasons after red faces: code -> count (misuse excluded)."""
    site: str | None = None
    """Service points: their site's name."""
    open_hours: float | None = None
    """Service points: hours open in the month by their opening hours (None: hours not set)."""

    @property
    def green_change(self) -> float | None:
        """Change of the green share from the month before (a difference of shares, 0.05 = 5 points)."""
        return _change(self.assessment.positive.share if self.counts.total else None, self.previous.green_share)

    @property
    def green_change_year(self) -> float | None:
        return _change(self.assessment.positive.share if self.counts.total else None, self.year_ago.green_share)


def _change(now: float | None, then: float | None) -> float | None:
    return None if now is None or then is None else now - then


@dataclass(frozen=True, slots=True)
class RankedReason:
    code: str
    labels: dict[str, str]
    """it, en."""
    count: int
    share_of_negative: float
    previous: int
    """Count in the month before."""


@dataclass(frozen=True, slots=True)
class Action:
    """An improvement action recorded for a service point or service (`collector.reports.actions`)."""

    service_point: str | None
    service: str | None
    day: date
    role: str
    """Who acted, as a role ("responsabile ufficio"), never a person's name."""
    description: str
    verdict: str | None = None
    """improved, worse, no_clear_change, not_enough_data (`collector.insight.effect.VERDICTS`)."""
    green_before: float | None = None
    """Shares before and after (None: no ratings in that window)."""
    green_after: float | None = None
    red_before: float | None = None
    red_after: float | None = None
    green_change: tuple[float, float, float] | None = None
    """After minus before, and its 95% interval (low, high), by Newcombe's method."""
    red_change: tuple[float, float, float] | None = None
    expected_effect: str = ""


@dataclass(frozen=True)
class MonthlyReport:
    organisation: str
    organisation_name: str
    timezone: str
    month: date
    start: datetime
    end: datetime
    generated_at: datetime
    overall: Row
    levels: dict[Level, list[Row]]
    """Each level's rows: sites, services, channels by name; service points worst first."""
    reasons: list[RankedReason]
    without_reason: int
    """Red faces with no reason given."""
    actions: list[Action] = field(default_factory=list)

    @property
    def below_target(self) -> list[Row]:
        return [r for r in self.levels["service_point"] if r.assessment.state is flags.FlagState.BELOW_TARGET]

    @property
    def served_posted(self) -> bool:
        return self.overall.participation.served is not None
