"""Each channel's figures beside the others: per service point in the overview (whole hours from the
rollups, the rest from raw rows), a channel filter on the overview and the summary, each channel judged by
the one flag rule with the row's own target."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest

from tests.fixtures.fix_api import Api

URL = "/v1/organisations/torino/channel-ratings"
POINT = "torino-sportello-1"
ROME = ZoneInfo("Europe/Rome")
NOW = datetime.now(UTC).replace(microsecond=0)
MIX = [  # (channel, face, how long ago): counter, phone and web at one counter
    *[("counter", "positive", timedelta(days=2, minutes=7 * i)) for i in range(8)],
    ("counter", "negative", timedelta(days=1, minutes=13)),
    ("phone", "positive", timedelta(days=3, minutes=31)),
    ("phone", "negative", timedelta(minutes=3)),  # this hour: a raw sliver
    *[("web", "negative", timedelta(days=1, minutes=5 * i)) for i in range(4)],
    ("web", "positive", timedelta(minutes=1)),
    ("web", "neutral", timedelta(days=40)),  # before the window
]


@pytest.fixture
def torino(api: Api) -> Api:
    api.post("/v1/organisations", {"id": "torino", "name": "Città di Torino"})
    for sp in (POINT, "torino-sportello-2"):
        api.post("/v1/organisations/torino/service-points", {"id": sp, "name": sp})
    batch = [
        {
            "service_point": POINT,
            "face": face,
            "channel": channel,
            "judged_at": (NOW - ago).isoformat(),
            "idempotency_key": f"r{i}",
        }
        for i, (channel, face, ago) in enumerate(MIX)
    ]
    batch.append(
        {"service_point": "torino-sportello-2", "face": "positive", "channel": "counter", "idempotency_key": "x"}
    )
    api.post(URL, batch)
    target = {"min_green_share": 0.75, "max_red_share": 0.2, "min_ratings": 3, "window_days": 28}
    api.put(f"/v1/organisations/torino/targets/service-points/{POINT}", target)
    return api


def from_raw_rows(api: Api, start: datetime, end: datetime) -> dict[str, dict[str, int]]:
    with psycopg.connect(api.database_url) as conn:
        found = conn.execute(
            "SELECT channel::text, face::text, count(*) FROM ratings WHERE service_point_id = %s"
            " AND pressed_at >= %s AND pressed_at < %s AND NOT misuse GROUP BY 1, 2",
            (POINT, start, end),
        ).fetchall()
    out: dict[str, dict[str, int]] = {}
    for channel, face, n in found:
        out.setdefault(channel, {"positive": 0, "neutral": 0, "negative": 0})[face] = n
    return out


def row_of(overview: dict[str, Any]) -> dict[str, Any]:
    rows: list[dict[str, Any]] = [r for r in overview["rows"] if r["service_point"] == POINT]
    assert len(rows) == 1
    return rows[0]


def test_each_service_point_has_its_channels_in_the_overview(torino: Api) -> None:
    row = row_of(torino.get("/v1/overview", org="torino"))
    channels = {c["channel"]: c for c in row["channels"]}
    assert list(channels) == ["counter", "phone", "web"]  # the fixed order; only channels with ratings
    assert {ch: c["counts"] for ch, c in channels.items()} == from_raw_rows(
        torino, datetime.fromisoformat(row["period"]["start"]), datetime.fromisoformat(row["period"]["end"])
    )
    assert sum(c["total"] for c in row["channels"]) == row["total"]
    assert channels["web"]["flag"] == {
        "state": "below_target",
        "reasons": ["green_share_below_target", "red_share_above_limit"],
    }
    for channel, figures in channels.items():  # the same rule, target and period as the summary's
        summary = torino.get(
            f"/v1/service-points/{POINT}/summary",
            channel=channel,
            **{"from": row["period"]["start"], "to": row["period"]["end"]},
        )
        assert summary["channel"] == channel
        assert {k: summary[k] for k in ("total", "counts", "shares", "flag", "misuse")} == {
            k: figures[k] for k in ("total", "counts", "shares", "flag", "misuse")
        }
    other = [r for r in torino.get("/v1/overview", org="torino")["rows"] if r["service_point"] != POINT]
    assert [c["channel"] for c in other[0]["channels"]] == ["counter"]


@pytest.mark.parametrize("minutes", [0, 17])
def test_whole_hours_come_from_the_rollups_and_the_rest_from_raw_rows(torino: Api, minutes: int) -> None:
    """A period of whole local days, and one that starts and ends inside hours: the same as raw rows."""
    today = NOW.astimezone(ROME).date()
    start = datetime.combine(today - timedelta(days=3), datetime.min.time(), ROME) + timedelta(minutes=minutes)
    end = datetime.combine(today + timedelta(days=1), datetime.min.time(), ROME) - timedelta(minutes=minutes)
    if minutes == 0:
        period = {"from": start.date().isoformat(), "to": end.date().isoformat()}
    else:
        period = {"from": start.isoformat(), "to": end.isoformat()}
    row = row_of(torino.get("/v1/overview", org="torino", **period))
    assert {c["channel"]: c["counts"] for c in row["channels"]} == from_raw_rows(torino, start, end)


def test_a_channel_filter_on_the_overview_and_the_summary(torino: Api) -> None:
    web = torino.get("/v1/overview", org="torino", channel="web")
    assert [r["service_point"] for r in web["rows"]] == [POINT]  # the other counter has no web ratings
    assert [c["channel"] for c in row_of(web)["channels"]] == ["web"]
    assert row_of(web)["total"] == row_of(web)["channels"][0]["total"] == 5
    summary = torino.get(f"/v1/service-points/{POINT}/summary", channel="phone")
    assert (summary["counts"], summary["channel"]) == ({"positive": 1, "neutral": 0, "negative": 1}, "phone")
    everything = torino.get(f"/v1/service-points/{POINT}/summary")
    assert everything["channel"] is None
    assert everything["total"] == 16  # the web rating of 40 days ago is outside the window


@pytest.mark.parametrize("path", ["/v1/overview", f"/v1/service-points/{POINT}/summary"])
def test_an_unknown_channel_is_a_problem(torino: Api, path: str) -> None:
    for wrong in ("fax", "WEB", ""):
        answer = torino.client.get(path, params={"channel": wrong}, headers=torino.headers())
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        problem = answer.json()
        assert problem["type"].endswith("/invalid-request")
        assert "channel" in problem["detail"]
