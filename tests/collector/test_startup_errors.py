"""Bad configuration gives one clear line and exit status 2, not a traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

from devstack.mosquitto import LocalMosquitto
from devstack.processes import free_port
from tests.fixtures.fix_collector import assert_one_clear_line, collector_env, run_collector


@pytest.mark.parametrize(
    ("variable", "value", "needles"),
    [
        ("COLLECTOR_DATABASE_URL", "not a dsn", ("invalid configuration", "COLLECTOR_DATABASE_URL")),
        ("COLLECTOR_DATABASE_URL", "postgresql://mlf@127.0.0.1:5432/db?sslmode=bogus", ("invalid sslmode",)),
        ("COLLECTOR_MQTT_PORT", "70000", ("invalid configuration", "COLLECTOR_MQTT_PORT")),
        ("COLLECTOR_TIMEZONE", "Mars/Olympus", ("invalid configuration", "unknown time zone")),
        ("COLLECTOR_NO_SUCH_SETTING", "1", ("invalid configuration", "COLLECTOR_NO_SUCH_SETTING")),
        ("COLLECTOR_MQTT_PASSWORD", "changeme", ("invalid configuration", "placeholder")),
        ("COLLECTOR_BROKER_RELOAD_COMMAND", "kill-nothing -HUP 1", ("invalid configuration", "not found")),
        (
            "COLLECTOR_FORWARDED_ALLOW_IPS",
            "*",
            ("invalid configuration", "COLLECTOR_FORWARDED_ALLOW_IPS", "never everyone"),
        ),
        ("COLLECTOR_FORWARDED_ALLOW_IPS", "10.0.0.1/8", ("invalid configuration", "not an address or network")),
    ],
)
def test_invalid_setting(
    database_url: str, broker: LocalMosquitto, variable: str, value: str, needles: tuple[str, ...]
) -> None:
    env = collector_env(database_url, broker, **{variable: value})
    assert_one_clear_line(run_collector(env), *needles)


def test_unreachable_database(broker: LocalMosquitto) -> None:
    port = free_port()
    env = collector_env(f"postgresql://mlf@127.0.0.1:{port}/mlf", broker)
    assert_one_clear_line(run_collector(env), "cannot connect to the database", f"127.0.0.1:{port}/mlf")


def test_unreachable_broker(database_url: str, broker: LocalMosquitto) -> None:
    env = collector_env(database_url, broker, COLLECTOR_MQTT_PORT=str(free_port()))
    assert_one_clear_line(run_collector(env), "cannot reach the MQTT broker")


def test_validate_config_flag(database_url: str, broker: LocalMosquitto) -> None:
    env = collector_env(database_url, broker)
    done = subprocess.run(
        [sys.executable, "-m", "collector.main", "--validate-config"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0
    assert "valid" in done.stdout
