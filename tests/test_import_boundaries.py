"""protocol, i18n, face_art and envcheck import nothing of ours; kiosk and collector never import each other;
inside them, data flows one way: kiosk.core imports no face, collector.store nothing above it, collector.api no
MQTT client."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = {"protocol", "i18n", "face_art", "envcheck", "kiosk", "collector", "firmware_sim", "dashboards", "devstack"}
ALLOWED = {
    "protocol": set(),
    "i18n": set(),
    "face_art": set(),
    "envcheck": set(),  # shared by kiosk and collector, which may not import each other
    "kiosk": {"protocol", "i18n", "face_art", "envcheck"},
    "collector": {"protocol", "i18n", "face_art", "envcheck"},
    "firmware_sim": {"protocol", "kiosk"},
    "dashboards": {"protocol", "collector", "i18n"},
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


def test_envcheck_needs_only_the_standard_library() -> None:
    foreign = sorted((where, top) for where, top in _imports("envcheck") if top not in sys.stdlib_module_names)
    assert not foreign, foreign


def test_protocol_needs_only_pydantic_and_the_standard_library() -> None:
    foreign = sorted(
        (where, top)
        for where, top in _imports("protocol")
        if top not in sys.stdlib_module_names and top not in THIRD_PARTY_FOR_PROTOCOL and top != "protocol"
    )
    assert not foreign, foreign


def _modules_imported(package: str) -> set[tuple[str, str]]:
    """(file, full module name) of every absolute import under `package` (a dotted name)."""
    found: set[tuple[str, str]] = set()
    for path in (ROOT / package.replace(".", "/")).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
            else:
                continue
            found.update((str(path.relative_to(ROOT)), name) for name in names)
    return found


INWARD = {
    "kiosk.core": ("kiosk.buttons", "kiosk.touch"),  # the faces sit on the core, never the other way
    "collector.store": (
        "collector.api",
        "collector.insight.flags",
        "collector.insight.indicators",
        "collector.ingest.pipeline",
    ),
    "collector.api": ("paho",),
}


@pytest.mark.parametrize("package", sorted(INWARD))
def test_layers_import_inward_only(package: str) -> None:
    bad = sorted(
        (where, name)
        for where, name in _modules_imported(package)
        if any(name == above or name.startswith(above + ".") for above in INWARD[package])
    )
    assert not bad, f"{package} may not import {INWARD[package]}: {bad}"


def test_the_api_loads_without_the_mqtt_client() -> None:
    """Not even through another module: the API reaches ingest through `collector.api.ingest_port` only."""
    probe = "import sys, collector.api.app; print(sorted(m for m in sys.modules if m.split('.')[0] == 'paho'))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    assert done.stdout.strip() == "[]"


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
