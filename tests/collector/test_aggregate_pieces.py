"""Which table each piece of a period is read from, and with which filters, without a database.

The rollups hold exact sums per grain; a piece read from the wrong grain, or a filter left out, would count
ratings twice or of the wrong counter and no flag would look odd. What the SQL then computes is the main
suite's to check against real rows (tests/api/test_misuse_paths.py, tests/collector/test_yearly_tier.py).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from collector.insight.periods import Pieces
from collector.store.aggregates import Filters, union_of_pieces
from collector.store.params import Params

H = datetime(2026, 11, 30, 9, tzinfo=UTC)
M = datetime(2026, 11, 30, 9, 20, tzinfo=UTC)


def reads(pieces: Pieces, filters: Filters, prefix: str = "") -> tuple[list[tuple[str, str]], Params]:
    """(table, condition) of each SELECT of the union, and its parameters."""
    params = Params()
    text = union_of_pieces(pieces, filters, params, prefix).as_string()
    selects = text.split(" UNION ALL ")
    out = []
    for select in selects:
        table = re.search(r'FROM "?([a-z_]+)"?', select)
        assert table is not None
        out.append((table.group(1), select.partition(" WHERE ")[2]))
    return out, params


def test_each_grain_is_read_from_its_own_rollup_and_slivers_from_raw_rows() -> None:
    pieces = Pieces(
        years=[(date(2023, 1, 1), date(2025, 1, 1))],
        months=[(date(2025, 1, 1), date(2025, 3, 1))],
        days=[(date(2025, 3, 1), date(2025, 3, 4))],
        hours=[(H, H.replace(hour=11))],
        raw=[(M, H.replace(hour=10)), (H.replace(hour=11), H.replace(hour=11, minute=5))],
    )
    selects, params = reads(pieces, Filters(None))
    assert [table for table, _ in selects] == [
        "rollup_yearly_points",
        "rollup_monthly_points",
        "rollup_daily",
        "rollup_hourly",
        "ratings",
    ]
    years, months, days, hours, raw = (condition for _, condition in selects)
    assert '"year" >=' in years
    assert '"month" >=' in months
    assert '"day" >=' in days
    assert '"bucket" >=' in hours
    assert raw.count('"pressed_at" >=') == 2  # both slivers
    assert params["y_year_0_start"] == date(2023, 1, 1)
    assert params["y_year_0_end"] == date(2025, 1, 1)
    assert params["month_0_end"] == date(2025, 3, 1)
    assert params["day_0_start"] == date(2025, 3, 1)
    assert params["bucket_0_end"] == H.replace(hour=11)
    assert params["pressed_at_1_start"] == H.replace(hour=11)
    assert "service_point_id = ANY" not in years  # every service point


def test_raw_rows_count_misuse_apart_from_the_faces() -> None:
    [(table, _)], _ = reads(Pieces(raw=[(M, H.replace(hour=10))]), Filters(None))
    assert table == "ratings"
    text = union_of_pieces(Pieces(raw=[(M, H.replace(hour=10))]), Filters(None), Params()).as_string()
    for face in ("positive", "neutral", "negative"):
        assert f"(face = '{face}' AND NOT misuse)::int AS {face}" in text
    assert "misuse::int AS misuse" in text


def test_a_service_or_channel_reads_the_split_rollups_and_filters_every_piece() -> None:
    pieces = Pieces(
        years=[(date(2023, 1, 1), date(2025, 1, 1))],
        months=[(date(2025, 1, 1), date(2025, 3, 1))],
        raw=[(M, H.replace(hour=10))],
    )
    for filters in (Filters(["sp-1"], service="anagrafe"), Filters(["sp-1"], channel="web")):
        selects, params = reads(pieces, filters)
        assert [table for table, _ in selects] == ["rollup_monthly", "rollup_monthly", "ratings"]
        for _, condition in selects:
            assert condition.startswith("service_point_id = ANY(%(service_points)s)")
            if filters.service:
                assert "AND service_id = %(service)s" in condition
            else:
                assert "AND channel = %(channel)s" in condition
        assert params["service_points"] == ["sp-1"]
        assert params.get("service") == filters.service
        assert params.get("channel") == filters.channel
        assert params["y_month_0_start"] == date(2023, 1, 1)  # the years, as months of the split rollup


def test_a_prefix_keeps_two_unions_in_one_statement_apart() -> None:
    params = Params()
    union_of_pieces(Pieces(days=[(date(2025, 3, 1), date(2025, 3, 4))]), Filters(["a"]), params, "p_")
    union_of_pieces(Pieces(days=[(date(2024, 3, 1), date(2024, 3, 4))]), Filters(["b"]), params, "q_")
    assert params["p_day_0_start"] == date(2025, 3, 1)
    assert params["q_day_0_start"] == date(2024, 3, 1)
    assert params["p_service_points"] == ["a"]
    assert params["q_service_points"] == ["b"]


def test_an_empty_period_reads_no_rows_with_the_same_columns() -> None:
    text = union_of_pieces(Pieces(), Filters(None), Params()).as_string()
    assert "WHERE false" in text
    assert "UNION ALL" not in text
