"""The page data, as the charts take it (labels formatted for the reader's language)."""

from __future__ import annotations

from typing import Any, Literal

from babel.dates import get_day_names
from jinja2 import pass_context

from collector.api.routes.kiosks import KioskStatus
from collector.api.routes.service_points import Matrix, Series
from collector.board.charts import FacePoint, TrendPoint


def _label(context: Any, bucket_start: Any, grain: str, timezone: str) -> str:
    fmt = context["fmt"]
    if grain == "month":
        return str(fmt.iso_day(bucket_start, timezone))[:7]
    return str(fmt.short_day(bucket_start, timezone))


@pass_context
def trend_points(context: Any, series: Series) -> list[TrendPoint]:
    return [
        TrendPoint(
            label=_label(context, b.start, series.grain, series.timezone),
            share=b.shares.positive.share if b.total else None,
            low=b.shares.positive.low,
            high=b.shares.positive.high,
            below=b.flag.state == "below_target",
        )
        for b in series.buckets
    ]


@pass_context
def face_points(context: Any, series: Series) -> list[FacePoint]:
    return [
        FacePoint(
            _label(context, b.start, series.grain, series.timezone),
            b.counts.positive,
            b.counts.neutral,
            b.counts.negative,
        )
        for b in series.buckets
    ]


def cells(matrix: Matrix) -> list[tuple[int, int, int, float | None]]:
    return [(c.weekday, c.hour, c.total, c.green_share) for c in matrix.cells]


def busy_hours(matrix: Matrix) -> list[int]:
    """The hours of the day with any rating, for the heat map's table."""
    return sorted({c.hour for c in matrix.cells if c.total})


@pass_context
def weekdays(context: Any, width: Literal["abbreviated", "wide"] = "abbreviated") -> list[str]:
    """Monday..Sunday in the reader's language."""
    names = get_day_names(width, locale=context["lang"])
    return [str(names[i]) for i in range(7)]


def connection(k: KioskStatus) -> str:
    """The kiosk's connection word: online, offline, or unknown (never reported)."""
    return "unknown" if k.online is None else "online" if k.online else "offline"


def kiosks_in_order(kiosks: list[KioskStatus]) -> list[tuple[str, KioskStatus]]:
    """(connection word, kiosk): offline first, then those shared by more than one device, status unknown, online;
    more open gaps first."""
    rank = {"offline": 0, "unknown": 2, "online": 3}

    def attention(k: KioskStatus) -> int:
        return 1 if k.identity_conflict and connection(k) != "offline" else rank[connection(k)]

    ordered = sorted(kiosks, key=lambda k: (attention(k), -k.open_gaps, k.id))
    return [(connection(k), k) for k in ordered]


def any_identity_conflict(kiosks: list[KioskStatus]) -> bool:
    """Whether a kiosk shown has more than one device behind its id (the column is shown only then)."""
    return any(k.identity_conflict for k in kiosks)
