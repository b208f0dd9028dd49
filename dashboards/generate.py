"""From Python to the committed JSON and provisioning files, and the check that they have not drifted."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from grafana_foundation_sdk.cog.encoder import JSONEncoder

from dashboards import provisioning
from dashboards.boards import fleet, monthly, overview, service_point

HERE = Path(__file__).parent
GENERATED = HERE / "generated"
PROVISIONING = HERE / "provisioning"
BOARDS = {"overview": overview, "service-point": service_point, "fleet": fleet, "monthly": monthly}
ANNOTATIONS = {"service-point": service_point.annotation_queries}
"""Boards' SQL annotation queries, added beside Grafana's built-in one."""


def dashboards() -> dict[str, dict[str, Any]]:
    """File name (without .json) -> dashboard JSON, panels numbered in order (stable ids for links)."""
    out = {}
    for name, module in BOARDS.items():
        board: dict[str, Any] = json.loads(JSONEncoder(sort_keys=True).encode(module.build().build()))
        for number, panel in enumerate(board["panels"], 1):
            panel["id"] = number
        board["id"] = None
        if name in ANNOTATIONS:
            board.setdefault("annotations", {}).setdefault("list", []).extend(ANNOTATIONS[name]())
        out[name] = board
    return out


def render() -> dict[Path, str]:
    """Every generated file (absolute path) and its content, with the defaults of provisioning."""
    files = {GENERATED / f"{name}.json": _json(board) for name, board in dashboards().items()}
    files |= {PROVISIONING / path: text for path, text in provisioning.files().items()}
    return files


def _json(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write() -> list[Path]:
    """Write what changed; returns those paths."""
    changed = []
    for path, text in render().items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            changed.append(path)
    return changed


def drift() -> list[Path]:
    """Committed files that differ from a fresh generation (or are missing)."""
    return [path for path, text in render().items() if not path.exists() or path.read_text(encoding="utf-8") != text]


def load(name: str) -> dict[str, Any]:
    """A committed dashboard, as `mlf-dashboards push` sends it."""
    document: dict[str, Any] = json.loads((GENERATED / f"{name}.json").read_text(encoding="utf-8"))
    return document
