"""A FAKE of what Grafana does to a panel's SQL before PostgreSQL sees it (Grafana cannot run here).

Three passes, in Grafana's order:
1. the dashboard's variables (the frontend's template service and the SQL data source's formatting):
   a multi-value or "All"-capable variable becomes a list of quoted literals, its custom "All" value is
   inserted as it is, a single-value variable is escaped but not quoted;
2. `$__interval_ms`, `$__interval`, `$__unixEpochFrom()`, `$__unixEpochTo()` (sqleng.Interpolate);
3. the PostgreSQL macros `$__name(args)` (grafana-postgresql-datasource/macros.go), including
   `$__timeGroup` as `time_bucket()` when the data source has the TimescaleDB option.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

ALL = "$__all"
"""What Grafana stores as the value of an "All" selection."""

_VARIABLE = re.compile(r"\$(\w+)|\$\{(\w+)(?::(\w+))?\}|\[\[(\w+)\]\]")
_MACRO = re.compile(r"\$([_a-zA-Z0-9]+)\(([^\)]*)\)")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}


@dataclass
class Request:
    """What a panel asks for: a time range, an interval, and the chosen value(s) of each variable."""

    start: datetime
    end: datetime
    interval: timedelta = timedelta(hours=1)
    chosen: Mapping[str, str | Sequence[str]] = field(default_factory=dict)
    """Variable name -> a value, values, or ALL. Unset variables are at their default ("All" here)."""
    timescaledb: bool = False


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _variable(definition: dict[str, Any], chosen: str | Sequence[str], options: Sequence[str]) -> str:
    values = [chosen] if isinstance(chosen, str) else list(chosen)
    if values == [ALL]:
        if definition.get("allValue"):
            return str(definition["allValue"])  # custom "All" values are not formatted
        values = list(options)
    if definition.get("multi") or definition.get("includeAll"):
        return ",".join(_quote(v) for v in values)
    assert len(values) == 1, f"{definition['name']} takes one value"
    return values[0].replace("'", "''")


def variables(
    sql: str, definitions: Sequence[dict[str, Any]], request: Request, options: Mapping[str, Sequence[str]]
) -> str:
    by_name = {d["name"]: d for d in definitions}

    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2) or match.group(4)
        if name.startswith("__") or name not in by_name:
            return match.group(0)  # built-ins are the backend's; an unknown name stays as Grafana leaves it
        chosen = request.chosen.get(name, ALL)
        return _variable(by_name[name], chosen, options.get(name, ()))

    return _VARIABLE.sub(replace, sql)


def format_interval(interval: timedelta) -> str:
    """gtime.FormatInterval: the largest whole unit."""
    ms = int(interval.total_seconds() * 1000)
    for unit, size in (("y", 31536000000), ("d", 86400000), ("h", 3600000), ("m", 60000), ("s", 1000)):
        if ms >= size and ms % size == 0:
            return f"{ms // size}{unit}"
    return f"{ms}ms"


def _parse_interval(text: str) -> float:
    match = re.fullmatch(r"(\d+)(ms|s|m|h|d|w|y)", text.strip().strip("'"))
    assert match, f"not an interval: {text!r}"
    return int(match.group(1)) * _UNITS[match.group(2)]


def _rfc3339(moment: datetime) -> str:
    """Go's time.RFC3339Nano in UTC: fractional seconds without trailing zeros, 'Z'."""
    utc = moment.astimezone(UTC)
    text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    if utc.microsecond:
        text += ("." + f"{utc.microsecond:06d}").rstrip("0")
    return text + "Z"


def _seconds(value: float) -> str:
    return f"{value:g}"


def backend(sql: str, request: Request) -> str:
    sql = sql.replace("$__interval_ms", str(int(request.interval.total_seconds() * 1000)))
    sql = sql.replace("$__interval", format_interval(request.interval))
    sql = sql.replace("$__unixEpochFrom()", str(int(request.start.timestamp())))
    sql = sql.replace("$__unixEpochTo()", str(int(request.end.timestamp())))

    def macro(match: re.Match[str]) -> str:
        name, args = match.group(1), [a.strip(" ") for a in match.group(2).split(",")]
        if name == "__timeFilter":
            return f"{args[0]} BETWEEN '{_rfc3339(request.start)}' AND '{_rfc3339(request.end)}'"
        if name == "__timeFrom":
            return f"'{_rfc3339(request.start)}'"
        if name == "__timeTo":
            return f"'{_rfc3339(request.end)}'"
        if name in ("__timeGroup", "__timeGroupAlias"):
            seconds = _parse_interval(args[1])
            group = (
                f"time_bucket('{seconds:.3f}s',{args[0]})"
                if request.timescaledb
                else f"floor(extract(epoch from {args[0]})/{_seconds(seconds)})*{_seconds(seconds)}"
            )
            return group + (' AS "time"' if name == "__timeGroupAlias" else "")
        if name == "__time":
            return f'{args[0]} AS "time"'
        raise AssertionError(f"macro ${name} is not one Grafana's PostgreSQL data source knows")

    return _MACRO.sub(macro, sql)


def expand(
    sql: str,
    definitions: Sequence[dict[str, Any]],
    request: Request,
    options: Mapping[str, Sequence[str]] | None = None,
) -> str:
    """The SQL PostgreSQL receives for this panel and request. `options`: each variable's values as its
    own query lists them (what "All" expands to when the variable has no custom "All" value)."""
    return backend(variables(sql, definitions, request, options or {}), request)
