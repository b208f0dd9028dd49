"""deploy/compose.yaml: valid for Compose, every setting it passes exists, images pinned, broker safe."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml

from collector.config import CollectorSettings, unknown_variables
from dashboards import datasource, provisioning
from kiosk.buttons.settings import ButtonKioskSettings
from kiosk.core.settings import flat_fields
from tests.deploy.stack import (
    COMPOSE,
    DEPLOY,
    ROOT,
    docker_compose,
    environment,
    mosquitto_sections,
    mounts,
    ports,
    raw,
    resolved,
    secrets_of,
    service,
)

PINNED = re.compile(r"^[a-z0-9./-]+:\d+\.\d+\.\d+(-[a-z0-9.]+)*$")
"""An exact version (major.minor.patch, maybe a variant such as -pg17): never `latest` or `2.0`."""


@pytest.mark.parametrize("profile", [None, "sim"])
def test_compose_file_is_valid(profile: str | None) -> None:
    done = docker_compose(*(["--profile", profile] if profile else []), "config", "-q")
    assert done.returncode == 0, done.stderr


def test_compose_refuses_what_it_should() -> None:
    """The validation has teeth: a misspelt option is refused (so a pass above means something)."""
    broken = DEPLOY / ".compose-broken.yaml"
    broken.write_text(COMPOSE.read_text().replace("    restart: unless-stopped", "    restart_policy: always", 1))
    try:
        done = docker_compose("-f", str(broken), "config", "-q")
    finally:
        broken.unlink()
    assert done.returncode != 0
    assert "restart_policy" in done.stderr


def test_every_collector_and_kiosk_setting_exists() -> None:
    known_kiosk = {"KIOSK_" + name.upper() for name in flat_fields(ButtonKioskSettings)}
    seen = 0
    for name in resolved()["services"]:
        env = environment(name)
        assert not unknown_variables(env, "COLLECTOR_", CollectorSettings), name
        unknown = sorted(k for k in env if k.startswith("KIOSK_") and k not in known_kiosk)
        assert not unknown, f"{name}: {unknown}"
        seen += sum(k.startswith(("COLLECTOR_", "KIOSK_")) for k in env)
    assert seen >= 20


def test_the_collectors_settings_are_valid_and_say_what_the_stack_needs(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import os

    for key in [k for k in os.environ if k.startswith("COLLECTOR_")]:
        monkeypatch.delenv(key)
    collector = service("collector")
    secrets = {name: tmp_path / name for name in secrets_of("collector")}
    for path in secrets.values():
        path.write_text("q3V9-x7Lr2mZ0pT8sKd4\n")
    for key, value in environment("collector").items():
        for name, path in secrets.items():
            value = value.replace(f"/run/secrets/{name}", str(path))
        monkeypatch.setenv(key, value)
    settings = CollectorSettings()
    assert settings.http_host == "0.0.0.0"
    assert settings.mqtt_host == "mosquitto"
    assert settings.auto_register is False
    assert "timescaledb:5432" in settings.database_url
    assert "q3V9" in settings.database_conninfo()
    # The broker files the collector writes are in the volume the broker reads them from.
    shared = {source for source, target, _ in mounts("collector") if target == "/mosquitto/auth"}
    assert shared
    assert shared <= {source for source, target, _ in mounts("mosquitto") if target == "/mosquitto/auth"}
    assert settings.broker_password_file == Path("/mosquitto/auth/passwd")
    conf = (DEPLOY / "mosquitto" / "compose.conf").read_text()
    assert "password_file /mosquitto/auth/passwd" in conf
    assert "acl_file /mosquitto/auth/acl" in conf
    # Its broker account is the one the broker's entrypoint puts in the password file.
    assert environment("mosquitto")["MLF_COLLECTOR_MQTT_USER"] == settings.mqtt_username
    assert "1883" in [str(g) for g in collector["group_add"]]


def test_grafana_and_the_collector_agree_on_timescaledb() -> None:
    """dashboards/README.md: the data source's TimescaleDB option must match the database."""
    path = DEPLOY / "grafana" / "provisioning" / "datasources" / "mettiamoci-la-faccia.yaml"
    source = yaml.safe_load(path.read_text())["datasources"][0]
    assert service("timescaledb")["image"].startswith("timescale/timescaledb:")
    assert environment("collector")["COLLECTOR_TIMESCALEDB"] == "on"
    assert source["jsonData"]["timescaledb"] is True
    # The file is what `mlf-dashboards provision --db-host timescaledb:5432` writes, nothing edited by hand.
    assert path.read_text() == provisioning.datasources(datasource.Connection(host="timescaledb:5432"))
    # Its password is a compose secret of Grafana's, and the role it names is the one db-grants makes.
    referenced = re.fullmatch(r"\$__file\{/run/secrets/(\w+)\}", source["secureJsonData"]["password"])
    assert referenced
    assert referenced.group(1) in secrets_of("grafana")
    assert referenced.group(1) in secrets_of("db-grants")
    role_sql = (DEPLOY / "grafana" / "grafana-role.sql").read_text()
    assert f"ROLE {source['user']}" in role_sql
    # The other provisioning and the dashboards are dashboards/'s own, mounted as they are.
    binds = {target: Path(source) for source, target, _ in mounts("grafana") if source.startswith("/")}
    assert binds["/etc/grafana/provisioning/dashboards"] == ROOT / "dashboards" / "provisioning" / "dashboards"
    assert binds["/etc/grafana/provisioning/alerting"] == ROOT / "dashboards" / "provisioning" / "alerting"
    provider = yaml.safe_load((ROOT / "dashboards/provisioning/dashboards/mettiamoci-la-faccia.yaml").read_text())
    assert binds[provider["providers"][0]["options"]["path"]] == ROOT / "dashboards" / "generated"


def test_every_bind_mount_exists_in_the_repository() -> None:
    binds = 0
    for name in resolved()["services"]:
        for source, _, read_only in mounts(name):
            if source.startswith("/"):
                binds += 1
                assert Path(source).exists(), f"{name}: {source}"
                assert read_only, f"{name} may write into the repository: {source}"
    assert binds >= 8


def test_images_are_pinned() -> None:
    built = {"collector", "sim-enrol"}
    for name, definition in raw()["services"].items():
        image = definition["image"]
        if name in built or image.startswith("mettiamoci-la-faccia/"):
            assert image.endswith(":${MLF_VERSION:-0.1.0}"), image
            continue
        assert PINNED.match(image), f"{name}: {image} is not pinned to an exact version"
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert f"MLF_VERSION={version}" in (DEPLOY / ".env.example").read_text()
    bases = re.findall(r"^ARG PYTHON_IMAGE=(\S+)", (ROOT / "Dockerfile").read_text(), re.MULTILINE)
    assert bases
    assert all(PINNED.match(b) for b in bases), bases


def test_broker_binds_client_ids_to_user_names_and_never_drops_queued_ratings() -> None:
    general, *listeners = mosquitto_sections((DEPLOY / "mosquitto" / "compose.conf").read_text())
    assert int(general["max_queued_messages"][0]) >= 100_000
    assert general["persistence"] == ["true"]
    assert general["allow_anonymous"] == ["false"]
    by_port = {section["listener"][0].split()[0]: section for section in listeners}
    assert set(by_port) == {"8883", "1883"}
    # On every listener (mosquitto 2.0 reads it per listener: in the general section it does nothing).
    for section in listeners:
        assert section["use_username_as_clientid"] == ["true"], section["listener"]
    assert "use_username_as_clientid" not in general
    assert "certfile" in by_port["8883"]
    assert "keyfile" in by_port["8883"]
    # Only the TLS listener is published on the host.
    assert [target for _, _, target in ports("mosquitto")] == ["8883"]


def test_broker_settings_are_the_production_files() -> None:
    """Persistence, queues and limits are deploy/mosquitto/mosquitto.conf's: only paths, listeners, logs differ."""
    own = {"persistence_location", "log_dest", "log_type", "password_file", "acl_file", "connection_messages"}
    own.add("use_username_as_clientid")  # a listener option: checked on each listener above
    production = mosquitto_sections((DEPLOY / "mosquitto" / "mosquitto.conf").read_text())[0]
    compose = mosquitto_sections((DEPLOY / "mosquitto" / "compose.conf").read_text())[0]
    shared = {k: v for k, v in production.items() if k not in own}
    assert shared
    assert {k: compose.get(k) for k in shared} == shared


def test_secrets_are_files_never_values() -> None:
    for name in resolved()["services"]:
        for key, value in environment(name).items():
            if re.search("PASSWORD|SECRET|TOKEN", key):
                # a file (a compose secret, or the broker's password file of hashes), never the secret itself
                assert value.startswith("/"), f"{name}: {key} holds a value, not a file"
            if value.startswith("/run/secrets/"):
                assert value.removeprefix("/run/secrets/") in secrets_of(name), f"{name}: {key}"
    # deploy/make-secrets.sh makes exactly the secrets that live under deploy/secrets/.
    made = re.search(r"for name in ([\w ]+); do", (DEPLOY / "make-secrets.sh").read_text())
    assert made
    expected = {n for n, s in raw()["secrets"].items() if s["file"].startswith("./secrets/")}
    assert set(made.group(1).split()) == expected
    # .env.example holds settings, no secret.
    env_example = (DEPLOY / ".env.example").read_text()
    assert not re.search(r"^[^#]*(PASSWORD|SECRET|TOKEN)", env_example, re.MULTILINE)


def test_the_collector_runs_hardened() -> None:
    collector = service("collector")
    assert collector["read_only"] is True
    assert collector["cap_drop"] == ["ALL"]
    assert "no-new-privileges:true" in collector["security_opt"]
    assert collector["stop_signal"] == "SIGINT"
    for host_ip, _, _ in ports("collector") + ports("grafana"):
        assert host_ip == "127.0.0.1", "the API and Grafana are for the reverse proxy, not the whole network"
