"""Array parameters as one PostgreSQL array literal: psycopg adapts a Python list element by element,
which costs more than the query itself for a batch's worth of kiosk ids and times."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

_PLAIN: dict[type, Callable[[Any], str]] = {int: int.__repr__, UUID: UUID.__str__, datetime: datetime.isoformat}
"""Types whose text never needs quoting in an array literal, and their C-level formatter."""


def array(values: Iterable[object]) -> str:
    """`{"a","b"}` for text, uuid, bigint and timestamptz parameters (cast it in SQL: `%s::text[]`);
    None is NULL.

    A batch's arrays hold one type and no NULL nearly always: those are joined by C-level calls (a
    national day's ingest spent a tenth of its Python time here, element by element). Anything else,
    or text that needs escaping, goes the general way."""
    items = values if isinstance(values, list) else list(values)
    if not items:
        return "{}"
    kind = type(items[0])
    try:
        if kind is str:
            joined = "".join(items)  # type: ignore[arg-type]  # TypeError if one is not text
            if '"' not in joined and "\\" not in joined:
                return '{"' + '","'.join(items) + '"}'  # type: ignore[arg-type]
        elif kind in _PLAIN:
            return "{" + ",".join(map(_PLAIN[kind], items)) + "}"  # TypeError on None or another type
    except (TypeError, AttributeError):  # another type, or None, among them
        pass
    return _general(items)


def _general(values: Iterable[object]) -> str:
    parts = []
    for value in values:
        if value is None:
            parts.append("NULL")
            continue
        text = value.isoformat() if isinstance(value, datetime) else str(value)
        parts.append('"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"')
    return "{" + ",".join(parts) + "}"


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


def instants(values: Iterable[datetime]) -> str:
    """Aware times as a bigint array literal of microseconds since the epoch, for `timestamptz_array`: three
    times cheaper to build than ISO text (a national day's writers spent 7% of their Python time formatting
    the batch's times), and exact: whole microseconds, no floating point on either side."""
    return "{" + ",".join([str((value - EPOCH) // MICROSECOND) for value in values]) + "}"


def timestamptz_array(parameter: str) -> str:
    """SQL reading an `instants` parameter back as timestamptz[], in order (`parameter`: `%s` or `%(name)s`)."""
    select = "SELECT coalesce(array_agg(timestamptz 'epoch' + t.us * interval '1 microsecond' ORDER BY t.i), '{}')"
    return f"({select} FROM unnest({parameter}::bigint[]) WITH ORDINALITY AS t(us, i))"
