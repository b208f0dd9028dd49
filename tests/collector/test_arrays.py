"""collector.store.arrays: one array literal, read back by PostgreSQL as the values given."""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg

from collector.store.arrays import array


def test_values_nulls_and_awkward_text_survive_the_round_trip(db: psycopg.Connection[tuple[object, ...]]) -> None:
    texts = ["plain", "NULL", 'quote " and \\ backslash', "comma, {brace}", None]
    row = db.execute("SELECT %s::text[]", (array(texts),)).fetchone()
    assert row is not None
    assert row[0] == texts  # the word NULL stays text; only None is NULL
    numbers = db.execute("SELECT %s::bigint[]", (array([1, None, 3]),)).fetchone()
    assert numbers is not None
    assert numbers[0] == [1, None, 3]
    at = datetime(2026, 3, 29, 0, 59, 59, 123456, tzinfo=UTC)
    times = db.execute("SELECT %s::timestamptz[]", (array([at, None]),)).fetchone()
    assert times is not None
    assert times[0] == [at, None]
