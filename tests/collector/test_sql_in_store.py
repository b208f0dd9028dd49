"""SQL lives in collector/store/: route modules call store functions, and the flag rule's SQL functions are
used from one Python module (collector/insight/flags.py). A new query written elsewhere fails here."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COLLECTOR = ROOT / "collector"
SQL = re.compile(r"\\b(SELECT|INSERT INTO|UPDATE \\w+ SET|DELETE FROM|CREATE (TABLE|INDEX|FUNCTION)|ALTER TABLE)\\b")
QUERY_MODULES = {
    "collector/insight/flags.py": "the flag rule: the one module that builds SQL with mlf_flag_of and mlf_wilson_*",
    "collector/insight/indicators.py": "the overview statement: store's counts and targets judged by flags' columns",
    "collector/preflight.py": "`SELECT 1` on a connection of its own, to say at start that the database answers",
}
"""Modules outside collector/store/ that may hold SQL, and why."""


def _sql_in(path: Path) -> list[str]:
    """Lines of `path` holding SQL text or running a statement."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.search(node.value):
            found.append(f"{node.lineno}: {node.value.strip()[:60]!r}")
        elif isinstance(node, ast.Attribute) and node.attr in {"execute", "executemany", "copy"}:
            found.append(f"{node.lineno}: .{node.attr}(...)")
    return found


def test_no_sql_outside_the_store() -> None:
    offenders = {
        str(path.relative_to(ROOT)): lines
        for path in sorted(COLLECTOR.rglob("*.py"))
        if "store" not in path.relative_to(COLLECTOR).parts[:1]
        and str(path.relative_to(ROOT)) not in QUERY_MODULES
        and (lines := _sql_in(path))
    }
    assert not offenders, f"SQL outside collector/store/ (write a store function): {offenders}"


def test_the_route_modules_reach_the_database_through_the_store() -> None:
    api = sorted((COLLECTOR / "api").rglob("*.py"))
    assert api
    assert not any(_sql_in(path) for path in api)
    for path in api:
        text = path.read_text()
        assert "psycopg import sql" not in text, f"{path.relative_to(ROOT)} builds queries"
        assert "psycopg.rows" not in text, f"{path.relative_to(ROOT)} reads rows itself"


def test_the_flag_functions_are_used_from_flags_py_only() -> None:
    users = sorted(
        str(path.relative_to(ROOT))
        for path in COLLECTOR.rglob("*.py")
        if re.search(r"mlf_(flag|wilson)", path.read_text())
    )
    assert users == ["collector/insight/flags.py"]
