"""The report's section of improvement actions: those taken during the month, each with its verdict as measured
when the report is made (`collector.insight.actions`)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from psycopg import AsyncConnection

from collector.insight import actions
from collector.insight.actions import ActionOut, DifferenceOut
from collector.insight.periods import next_month
from collector.reports.model import Action


async def recorded(conn: AsyncConnection[Any], org: str, month: date, now: datetime | None = None) -> list[Action]:
    """Actions recorded for the organisation's service points and services, taken during the month, oldest first."""
    found = await actions.recorded(conn, org, now or datetime.now(UTC), since=month, until=next_month(month))
    return [_action(a) for a in reversed(found)]


def _change(d: DifferenceOut | None) -> tuple[float, float, float] | None:
    return None if d is None else (d.difference, d.low, d.high)


def _action(a: ActionOut) -> Action:
    e = a.effect
    return Action(
        a.service_point_name or a.service_point, a.service_name or a.service, a.taken_on, a.role, a.description,
        e.verdict, green_before=e.before.green.share, green_after=e.after.green.share,
        red_before=e.before.red.share, red_after=e.after.red.share,
        green_change=_change(e.green_change), red_change=_change(e.red_change), expected_effect=a.expected_effect,
    )  # fmt: skip
