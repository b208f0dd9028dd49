"""protocol and i18n import nothing of ours; kiosk and collector never import each other."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = {"protocol", "i18n", "face_art", "kiosk", "collector", "firmware_sim", "dashboards", "devstack"}
ALLOWED = {
    "protocol": set(),
    "i18n": set(),
    "face_art": set(),
    "kiosk": {"protocol", "i18n", "face_art"},
    "collector": {"protocol", "i18n", "face_art"},
    "firmware_sim": {"protocol", "kiosk"},
    "dashboards": {"protocol", "collector"},
    "devstack": set(),
}
THIRD_PARTY_FOR_PROTOCOL = {"pydantic", "pydantic_core"}
THIRD_PARTY_FOR_I18N = {"babel"}


def _imports(package: str) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            else:
                continue
            found.update((str(path.relative_to(ROOT)), name.split(".")[0]) for name in names)
    return found


@pytest.mark.parametrize("package", sorted(p for p in ALLOWED if (ROOT / p).is_dir()))
def test_package_imports_only_what_it_may(package: str) -> None:
    bad = sorted(
        (where, top)
        for where, top in _imports(package)
        if top in OURS and top != package and top not in ALLOWED[package]
    )
    assert not bad, f"{package} may not import: {bad}"


def test_protocol_needs_only_pydantic_and_the_standard_library() -> None:
    foreign = sorted(
        (where, top)
        for where, top in _imports("protocol")
        if top not in sys.stdlib_module_names and top not in THIRD_PARTY_FOR_PROTOCOL and top != "protocol"
    )
    assert not foreign, foreign


def test_i18n_needs_only_babel_and_the_standard_library() -> None:
    foreign = sorted(
        (where, top)
        for where, top in _imports("i18n")
        if top not in sys.stdlib_module_names and top not in THIRD_PARTY_FOR_I18N and top != "i18n"
    )
    assert not foreign, foreign


def test_face_art_needs_only_the_standard_library() -> None:
    foreign = sorted(
        (w, top) for w, top in _imports("face_art") if top not in sys.stdlib_module_names and top != "face_art"
    )
    assert not foreign, foreign
