"""Run the committed panels' SQL, as Grafana would send it (see grafana_macros.py), against a real database."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg

from dashboards import generate
from tests.dashboards.grafana_macros import Request, expand


@dataclass
class Result:
    columns: list[str]
    rows: list[tuple[Any, ...]]

    def dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def column(self, name: str) -> list[Any]:
        i = self.columns.index(name)
        return [row[i] for row in self.rows]


def board(name: str) -> dict[str, Any]:
    return generate.load(name)


def sql_of(board_name: str, title: str) -> str:
    """The SQL of the panel whose title starts with `title` (the Italian half)."""
    (panel,) = [p for p in board(board_name)["panels"] if p["title"].startswith(title + " /")]
    (target,) = panel["targets"]
    return str(target["rawSql"])


def run_sql(database_url: str, sql: str, definitions: list[dict[str, Any]], request: Request) -> Result:
    expanded = expand(sql, definitions, request)
    with psycopg.connect(database_url) as conn, conn.cursor() as cur:
        cur.execute(expanded.encode())
        assert cur.description is not None
        return Result([c.name for c in cur.description], cur.fetchall())


def run(database_url: str, board_name: str, title: str, request: Request) -> Result:
    return run_sql(database_url, sql_of(board_name, title), board(board_name)["templating"]["list"], request)
