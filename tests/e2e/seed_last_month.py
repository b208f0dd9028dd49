"""Ratings of last month for the README's reports block: `python -m tests.e2e.seed_last_month DATABASE_URL`.

The "first ten minutes" make ratings now; a monthly report is of a month that has ended. This puts a known
month of ratings at torino-sportello-1 through the collector's own write path, as a kiosk that was offline
and sent its backlog would."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from collector.reports.render import last_month
from tests.api.known_data import many, store

ROME = ZoneInfo("Europe/Rome")
MIX = {"positive": 70, "neutral": 20, "negative": 10}


def seed(database_url: str) -> int:
    month = last_month(ROME, datetime.now(UTC))
    presses = []
    for day in (3, 14, 15, 22):
        at = datetime(month.year, month.month, day, 9, tzinfo=ROME)
        presses += many(at, MIX, every=timedelta(minutes=4), service_point="torino-sportello-1", kiosk="torino-seed")
    store(database_url, presses, org="torino")
    return len(presses)


if __name__ == "__main__":
    print(f"seeded {seed(sys.argv[1])} ratings of last month")
