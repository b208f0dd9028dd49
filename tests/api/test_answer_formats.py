"""Small truths of the answers: one timestamp format everywhere, and the summary's default period is the
overview's (the service point's target window)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.api.known_data import many, store
from tests.fixtures.fix_api import Api

ONE_FORMAT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
LOOKS_LIKE_A_TIME = re.compile(r"^\d{4}-\d\d-\d\dT")


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def test_every_timestamp_in_every_answer_has_one_format(api: Api) -> None:
    store(api.database_url, many(datetime.now(UTC) - timedelta(hours=30), {"positive": 3, "negative": 1}, kiosk="k-1"))
    answers = [
        api.get("/v1/overview", api.admin),
        api.get("/v1/service-points/sp-1/summary", api.admin),
        api.get("/v1/service-points/sp-1/summary", api.admin, **{"from": "2026-01-01", "to": "2026-02-01"}),
        api.get("/v1/service-points/sp-1/series", api.admin, grain="day"),
        api.get("/v1/service-points/sp-1/hour-weekday", api.admin),
        api.get("/v1/organisations/org/reasons/ranking", api.admin),
        api.get("/v1/kiosks", api.admin),
        api.get("/v1/keys", api.admin),
    ]
    times = [s for answer in answers for s in strings(answer) if LOOKS_LIKE_A_TIME.match(s)]
    assert len(times) > 20
    assert [t for t in times if not ONE_FORMAT.match(t)] == []


def test_the_summary_without_a_period_covers_the_target_window_as_the_overview_does(api: Api) -> None:
    now = datetime.now(UTC)
    store(api.database_url, many(now - timedelta(days=3), {"positive": 2}, kiosk="k-1"))
    store(api.database_url, many(now - timedelta(days=10), {"negative": 5}, kiosk="k-1"))
    target = {"min_green_share": 0.8, "max_red_share": 0.1, "min_ratings": 5, "window_days": 7}
    api.put("/v1/organisations/org/targets/default", target, api.admin)
    summary = api.get("/v1/service-points/sp-1/summary", api.reader)
    (row,) = api.get("/v1/overview", api.reader)["rows"]
    assert summary["start"] == row["period"]["start"]
    assert summary["counts"] == row["counts"] == {"positive": 2, "neutral": 0, "negative": 0}
    assert datetime.fromisoformat(summary["start"]) < now - timedelta(days=6)
