"""The report's section of improvement actions.

Recording actions and measuring their effect is the second half of issue 15; until it lands no action can
be recorded, so every report says "none recorded". That work replaces `recorded` with a read of its store;
the report's model (`model.Action`), its templates and its spreadsheet already show what it returns.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from psycopg import AsyncConnection

from collector.reports.model import Action


async def recorded(conn: AsyncConnection[Any], org: str, month: date) -> list[Action]:
    """Actions recorded for the organisation's service points and services during the month."""
    del conn, org, month
    return []
