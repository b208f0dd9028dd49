"""collector.store.arrays: one array literal, read back by PostgreSQL as the values given."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import psycopg

from collector.store.arrays import array, instants, timestamptz_array


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


def test_the_fast_paths_read_back_as_given(db: psycopg.Connection[tuple[object, ...]]) -> None:
    """One type and no NULL is joined without per-element escaping; a NULL or an awkward text anywhere in the
    list (not only first) takes the general way. Either way PostgreSQL reads the values given."""
    at = datetime(2026, 10, 25, 1, 30, 0, 5, tzinfo=UTC)
    cases: list[tuple[str, list[Any]]] = [
        ("text", ["k-1", "ente-001-k2", "NULL", "null"]),
        ("text", ["k-1", "k-2", 'quote"d']),
        ("text", ["k-1", "back\\slash"]),
        ("text", ["k-1", None]),
        ("bigint", [1, -2, 9_007_199_254_740_993]),
        ("bigint", [1, None]),
        ("uuid", [uuid.UUID(int=0), uuid.uuid4()]),
        ("uuid", [uuid.uuid4(), None]),
        ("timestamptz", [at, at.astimezone(timezone(timedelta(hours=2)))]),
        ("timestamptz", [at, None]),
        ("text", []),
    ]
    for kind, values in cases:
        for given in (values, iter(values)):
            row = db.execute(f"SELECT %s::{kind}[]", (array(given),)).fetchone()
            assert row is not None
            assert row[0] == values, (kind, values)
    row = db.execute("SELECT %s::text[]", (array({"a"}),)).fetchone()
    assert row is not None
    assert row[0] == ["a"]


def test_instants_read_back_as_the_same_microsecond(db: psycopg.Connection[tuple[object, ...]]) -> None:
    """Times sent as microseconds since the epoch come back exact, in order, whatever their zone: on a DST
    change, before 1970, far ahead, at the last microsecond of a second. None of them goes through a float."""
    rome_summer = timezone(timedelta(hours=2))
    times = [
        datetime(2026, 10, 25, 0, 59, 59, 999_999, tzinfo=UTC),
        datetime(2026, 10, 25, 3, 0, 0, 1, tzinfo=rome_summer),
        datetime(1969, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
        datetime(2199, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
        datetime.now(UTC),
    ]
    row = db.execute(f"SELECT {timestamptz_array('%s')}", (instants(times),)).fetchone()
    assert row is not None
    assert row[0] == times
    empty = db.execute(f"SELECT {timestamptz_array('%s')}", (instants([]),)).fetchone()
    assert empty is not None
    assert empty[0] == []
