"""Array parameters as one PostgreSQL array literal: psycopg adapts a Python list element by element,
which costs more than the query itself for a batch's worth of kiosk ids and times."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime


def array(values: Iterable[object]) -> str:
    """`{"a","b"}` for text, uuid, bigint and timestamptz parameters (cast it in SQL: `%s::text[]`);
    None is NULL."""
    parts = []
    for value in values:
        if value is None:
            parts.append("NULL")
            continue
        text = value.isoformat() if isinstance(value, datetime) else str(value)
        parts.append('"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"')
    return "{" + ",".join(parts) + "}"
