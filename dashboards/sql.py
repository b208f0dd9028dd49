"""SQL building blocks shared by panels: Grafana's variables, as the SQL data source substitutes them.

Every filter variable (organisation, site, service, channel) is multi-value with an "All" option whose
value is the literal `'__all'`; Grafana inserts such a custom "All" value as it is, and a selection as
a list of quoted literals. So `among("sp.site_id", "site")` is true for every row under "All" and for
the chosen sites otherwise, including rows without a site only under "All". Columns are compared as
text: `'__all'` is neither a valid slug nor a channel.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Self

from grafana_foundation_sdk.cog import builder, variants

from dashboards import datasource

ALL = "'__all'"


def among(column: str, variable: str) -> str:
    return f"({ALL} IN (${variable}) OR {column}::text IN (${variable}))"


def everything(*variables: str) -> str:
    """True when each of the variables is at "All"."""
    return " AND ".join(f"{ALL} IN (${v})" for v in variables)


def single(variable: str) -> str:
    """The one value chosen, or NULL under "All" or several: e.g. the service whose targets apply."""
    return f"(SELECT min(v) FROM unnest(ARRAY[${variable}]::text[]) AS v HAVING count(*) = 1 AND min(v) <> {ALL})"


HOURS_IN_RANGE = "h.bucket >= $__timeFrom() AND h.bucket + interval '1 hour' <= $__timeTo()"
"""Hourly rollup rows wholly inside the time range: counts are exact to the hour, and a bucket still
open (the current hour) never shows, as for the API's reader keys."""


def local_start(day: str, timezone: str = "o.timezone") -> str:
    """The instant a local date begins, in its organisation's time zone (DST days included)."""
    return f"({day}::timestamp AT TIME ZONE {timezone})"


@dataclass
class Query(variants.Dataquery):
    """A raw SQL query of Grafana's PostgreSQL data source (the SDK ships no type for it)."""

    raw_sql: str
    format: Literal["table", "time_series"] = "table"
    ref_id: str = "A"

    def to_json(self) -> dict[str, object]:
        return {
            "refId": self.ref_id,
            "datasource": dict(datasource.REF),
            "editorMode": "code",
            "format": self.format,
            "rawQuery": True,
            "rawSql": self.raw_sql,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        return cls(raw_sql=data["rawSql"], format=data.get("format", "table"), ref_id=data.get("refId", "A"))


class SqlQuery(builder.Builder[variants.Dataquery]):
    def __init__(self, raw_sql: str, format: Literal["table", "time_series"] = "table", ref_id: str = "A") -> None:
        self._query = Query(dedent(raw_sql), format, ref_id)

    def build(self) -> variants.Dataquery:
        return self._query


def dedent(text: str) -> str:
    import textwrap

    return textwrap.dedent(text).strip()
