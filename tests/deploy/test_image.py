"""The Dockerfile builds what the project installs, the way it installs it, and runs it unprivileged.

No container engine runs here: these read the Dockerfile and .dockerignore; deploy/README.md says
what was checked by hand (the image's pip install, run outside Docker).
"""

from __future__ import annotations

import re
import tomllib

from tests.deploy.stack import ROOT, raw

DOCKERFILE = (ROOT / "Dockerfile").read_text()
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def stage(name: str) -> str:
    """The lines of one build stage."""
    found = re.search(rf"^FROM \S+ AS {name}\n(.*?)(?=^FROM |\Z)", DOCKERFILE, re.MULTILINE | re.DOTALL)
    assert found, name
    return found.group(1)


def test_python_packages_are_installed_with_the_projects_constraints() -> None:
    assert "ENV PIP_CONSTRAINT=/src/requirements/constraints.txt" in DOCKERFILE
    extras = PYPROJECT["project"]["optional-dependencies"]
    for name, wanted in (("build-collector", {"collector"}), ("build-sim", {"collector", "sim"})):
        installed = re.search(r'pip install "\.\[([a-z,]+)\]"', stage(name))
        assert installed, name
        assert set(installed.group(1).split(",")) == wanted
        assert wanted <= set(extras)


def test_the_build_context_holds_every_package_and_nothing_private() -> None:
    ignore = (ROOT / ".dockerignore").read_text().splitlines()
    assert ignore[[line.startswith("#") for line in ignore].index(False)] == "*", "start from nothing"
    allowed = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    for pattern in PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"]:
        assert pattern.rstrip("*") in allowed, f"package {pattern} would be missing from the image"
    assert {"pyproject.toml", "README.md", "requirements/constraints.txt"} <= allowed
    assert not {a for a in allowed if a.startswith(("deploy", "tests", ".venv", "var"))}


def test_images_run_unprivileged_with_the_entry_points_of_the_project() -> None:
    runtime = stage("runtime")
    assert re.search(r"^USER 10001:10001$", runtime, re.MULTILINE)
    assert "USER" not in stage("collector") + stage("sim"), "a later stage must not switch back to root"
    scripts = PYPROJECT["project"]["scripts"]
    assert 'ENTRYPOINT ["mlf-collector"]' in stage("collector")
    assert 'CMD ["serve"]' in stage("collector")
    assert 'ENTRYPOINT ["mlf-sim"]' in stage("sim")
    assert {"mlf-collector", "mlf-sim"} <= set(scripts)
    # The collector is the default target (last), stops with SIGINT like its systemd unit, checks its health.
    assert DOCKERFILE.rstrip().splitlines()[-1] == 'CMD ["serve"]'
    assert "STOPSIGNAL SIGINT" in stage("collector")
    assert "/healthz" in stage("collector").split("HEALTHCHECK", 1)[1]


def test_compose_builds_the_targets_the_dockerfile_has() -> None:
    services = raw()["services"]
    for name in ("collector", "sim-enrol"):
        build = services[name]["build"]
        assert build["dockerfile"] == "Dockerfile"
        stage(build["target"])
