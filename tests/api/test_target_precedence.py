"""Which target applies (issue 18): the service point's own, else its service's (in a view of that service),
else the organisation's default, else the built-in one; every combination, through every read that judges.

The same 40 ratings (30 green, 8 yellow, 2 red) meet each target with a different verdict, so a broken
order shows in the flag itself, not only in the `source` the answer claims.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.api.known_data import many, store
from tests.fixtures.fix_api import Api

BASE = {"max_red_share": 0.5, "min_ratings": 10}
TARGETS: dict[str, dict[str, Any]] = {
    # green's upper bound (about 0.86) is under 0.95
    "service_point": {"path": "service-points/sp-1", "body": {**BASE, "min_green_share": 0.95, "window_days": 11}},
    # 40 ratings are too few
    "service": {
        "path": "services/svc",
        "body": {**BASE, "min_green_share": 0.5, "min_ratings": 100, "window_days": 12},
    },
    # red's lower bound (about 0.014) is over 0.01
    "organisation": {
        "path": "default",
        "body": {**BASE, "min_green_share": 0.5, "max_red_share": 0.01, "window_days": 13},
    },
}
VERDICT = {
    "service_point": ("below_target", ["green_share_below_target"]),
    "service": ("not_enough_data", []),
    "organisation": ("below_target", ["red_share_above_limit"]),
    "default": ("on_target", []),
}
BUILT_IN = {"min_green_share": 0.75, "max_red_share": 0.1, "min_ratings": 30, "window_days": 28}
COMBINATIONS = [set(c) for n in range(4) for c in itertools.combinations(TARGETS, n)]


def applying(present: set[str], service_view: bool, own_target: bool = True) -> str:
    """The rule, written out: the most specific target that is set and applies to the view."""
    order = ["service_point"] if own_target else []
    order += ["service", "organisation"] if service_view else ["organisation"]
    return next((kind for kind in order if kind in present), "default")


def expected_target(kind: str) -> dict[str, Any]:
    values = BUILT_IN if kind == "default" else TARGETS[kind]["body"]
    return {**{k: values[k] for k in BUILT_IN}, "source": kind}


@pytest.fixture
def org(api: Api) -> Api:
    day = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=2)
    for sp in ("sp-1", "sp-2"):  # sp-2 never has a target of its own
        faces = {"positive": 30, "neutral": 8, "negative": 2}
        store(api.database_url, many(day, faces, service_point=sp, kiosk=f"k-{sp}", service="svc"), org="roma")
    return api


def _judged(row: dict[str, Any]) -> tuple[tuple[str, list[str]], dict[str, Any]]:
    return (row["flag"]["state"], row["flag"]["reasons"]), row["target"]


@pytest.mark.parametrize("present", COMBINATIONS, ids=lambda p: "+".join(sorted(p)) or "none")
def test_the_most_specific_target_applies_everywhere(org: Api, present: set[str]) -> None:
    for kind in present:
        org.put(f"/v1/organisations/roma/targets/{TARGETS[kind]['path']}", TARGETS[kind]["body"])
    today = datetime.now(UTC).date()
    period = {"from": str(today - timedelta(days=5)), "to": str(today + timedelta(days=1))}
    for service_view in (False, True):
        view = {"service": "svc"} if service_view else {}
        rows = {r["service_point"]: r for r in org.get("/v1/overview", org="roma", **view)["rows"]}
        for sp, own in (("sp-1", True), ("sp-2", False)):
            kind = applying(present, service_view, own_target=own)
            want = (VERDICT[kind], expected_target(kind))
            where = f"{sp}, {'view of svc' if service_view else 'all services'}, targets {sorted(present)}"
            assert _judged(rows[sp]) == want, f"overview: {where}"
            summary = org.get(f"/v1/service-points/{sp}/summary", **period, **view)
            assert _judged(summary) == want, f"summary: {where}"
            assert summary["total"] == 40
            series = org.get(f"/v1/service-points/{sp}/series", grain="month", **period, **view)["buckets"]
            (bucket,) = [b for b in series if b["total"]]
            assert (bucket["flag"]["state"], bucket["flag"]["reasons"]) == VERDICT[kind], f"series: {where}"
