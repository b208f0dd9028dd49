"""deploy/compose.yaml as Compose itself resolves it (Debian's docker-compose: no engine needed)."""

from __future__ import annotations

import functools
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
ENV_EXAMPLE = DEPLOY / ".env.example"


def docker_compose(*args: str) -> subprocess.CompletedProcess[str]:
    program = shutil.which("docker-compose")
    assert program, "docker-compose is not installed: run scripts/bootstrap.sh"
    return subprocess.run(
        [program, "--project-directory", str(DEPLOY), "-f", str(COMPOSE), "--env-file", str(ENV_EXAMPLE), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )


@functools.cache
def resolved(profile: str | None = "sim") -> dict[str, Any]:
    """The whole stack with .env.example's values filled in (every profile by default)."""
    done = docker_compose(*(["--profile", profile] if profile else []), "config")
    assert done.returncode == 0, done.stderr
    config: dict[str, Any] = yaml.safe_load(done.stdout)
    return config


def raw() -> dict[str, Any]:
    """The file as written (variables not substituted)."""
    config: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    return config


def service(name: str) -> dict[str, Any]:
    found: dict[str, Any] = resolved()["services"][name]
    return found


def environment(name: str) -> dict[str, str]:
    env = service(name).get("environment") or {}
    return {key: str(value) for key, value in env.items()}


def mosquitto_sections(text: str) -> list[dict[str, list[str]]]:
    """A mosquitto config as its sections: the general one, then one per `listener`."""
    sections: list[dict[str, list[str]]] = [{}]
    for raw_line in text.splitlines():
        line = raw_line.strip()
        if not line or line.startswith("#"):
            continue
        key, _, value = line.partition(" ")
        if key == "listener":
            sections.append({})
        sections[-1].setdefault(key, []).append(value.strip())
    return sections


def secrets_of(name: str) -> list[str]:
    """The compose secrets a service gets (as /run/secrets/NAME)."""
    return [s if isinstance(s, str) else s["source"] for s in service(name).get("secrets", [])]


def mounts(name: str) -> list[tuple[str, str, bool]]:
    """(source, target, read only) of a service's volumes; a bind's source is an absolute path."""
    found = []
    for volume in service(name).get("volumes", []):
        source, target, *mode = volume.split(":")
        found.append((source, target, mode == ["ro"]))
    return found


def ports(name: str) -> list[tuple[str, str, str]]:
    """(host address, host port, container port) of a service's published ports."""
    found = []
    for port in service(name).get("ports", []):
        host_ip, host_port, target = port.split("/")[0].rsplit(":", 2)
        found.append((host_ip, host_port, target))
    return found
