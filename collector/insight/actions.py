"""Improvement actions as people see them, each with its measured effect: the data of the API's answers, the
monthly report's section and a board page (one template over `recorded`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from psycopg import AsyncConnection
from pydantic import BaseModel, Field

from collector.api.schemas import Timestamp
from collector.insight import effect
from collector.store import actions
from i18n import translator


class ShareOut(BaseModel):
    share: float | None = Field(description="null: no ratings in the window.")
    low: float
    high: float


class WindowOut(BaseModel):
    start: Timestamp
    end: Timestamp = Field(description="Exclusive; the last whole hour that is over, while the window runs.")
    ratings: int = Field(description="Ratings in the hours the service point was open (misuse excluded).")
    positive: int
    neutral: int
    negative: int
    green: ShareOut
    red: ShareOut


class DifferenceOut(BaseModel):
    difference: float = Field(description="After minus before (0.05: five percentage points).")
    low: float = Field(description="Lower bound of its 95% interval (Newcombe's hybrid score method).")
    high: float


class EffectOut(BaseModel):
    before: WindowOut
    after: WindowOut
    complete: bool = Field(description="false while the after window is still running.")
    green_change: DifferenceOut | None = Field(description="null when a window has no ratings.")
    red_change: DifferenceOut | None
    verdict: effect.Verdict = Field(description="improved, worse, no_clear_change or not_enough_data (yet).")
    verdict_text: dict[str, str] = Field(description="The verdict in Italian (`it`) and English (`en`).")
    min_ratings: int = Field(description="Ratings each window needs for a verdict (the target's minimum).")
    opening_hours_known: bool = Field(description="false: no opening hours are set, so every hour counted.")


class ActionOut(BaseModel):
    id: int
    organisation: str
    service_point: str | None
    service_point_name: str | None
    service: str | None
    service_name: str | None
    taken_on: date = Field(description="The local day from which the change is in place.")
    role: str = Field(description="Who acted, as a role (never a person's name).")
    description: str
    expected_effect: str
    window_days: int
    recorded_at: Timestamp
    effect: EffectOut


def _window(w: effect.Window) -> WindowOut:
    n = w.counts.total
    return WindowOut(
        start=w.start, end=w.end, ratings=n, positive=w.counts.positive, neutral=w.counts.neutral,
        negative=w.counts.negative,
        green=ShareOut(share=w.green.share if n else None, low=w.green.low, high=w.green.high),
        red=ShareOut(share=w.red.share if n else None, low=w.red.low, high=w.red.high),
    )  # fmt: skip


def _difference(d: effect.Difference | None) -> DifferenceOut | None:
    return None if d is None else DifferenceOut(difference=d.difference, low=d.low, high=d.high)


async def view(conn: AsyncConnection[Any], row: dict[str, Any], now: datetime) -> ActionOut:
    e = await effect.effect(conn, row, now)
    return ActionOut(
        id=row["id"], organisation=row["org_id"], service_point=row["service_point_id"],
        service_point_name=row["service_point_name"], service=row["service_id"], service_name=row["service_name"],
        taken_on=row["taken_on"], role=row["role"], description=row["description"],
        expected_effect=row["expected_effect"], window_days=row["window_days"], recorded_at=row["recorded_at"],
        effect=EffectOut(
            before=_window(e.before), after=_window(e.after), complete=e.complete,
            green_change=_difference(e.green_change), red_change=_difference(e.red_change), verdict=e.verdict,
            verdict_text={lang: translator(lang)(effect.VERDICTS[e.verdict]) for lang in ("it", "en")},
            min_ratings=e.min_ratings, opening_hours_known=e.opening_hours_known,
        ),
    )  # fmt: skip


async def recorded(
    conn: AsyncConnection[Any],
    org: str,
    now: datetime,
    *,
    service_point: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> list[ActionOut]:
    """The organisation's actions (of a service point; taken in [since, until)), newest first, measured."""
    found = await actions.listing(conn, org, service_point=service_point, since=since, until=until)
    return [await view(conn, row, now) for row in found]
