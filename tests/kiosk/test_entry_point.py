"""`kiosk-buttons` as systemd runs it: a process configured by file and environment, stopped by signals."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from devstack.mosquitto import LocalMosquitto
from kiosk.core.device import local_device_id
from kiosk.core.outbox import Outbox
from protocol import TopicKind
from tests.fixtures.fix_kiosk import ORG, MqttWatcher
from tests.fixtures.kiosk_messages import rating
from tests.waiting import wait_for


@pytest.fixture
def run_kiosk(tmp_path: Path, broker: LocalMosquitto) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []

    def start(kiosk_id: str = "entry-k1", *options: str, **env: str) -> subprocess.Popen[bytes]:
        config = tmp_path / "kiosk.toml"
        config.write_text(
            f'kiosk_id = "{kiosk_id}"\norganisation = "{ORG}"\nservice_point = "entry-sportello"\n'
            f'data_dir = "{tmp_path / "data"}"\nmqtt_port = {broker.port}\n\n[gpio]\nstatus_led = 19\n'
        )
        environment = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
        environment.update(GPIOZERO_PIN_FACTORY="mock", GPIOZERO_MOCK_PIN_CLASS="mockpwmpin", **env)
        process = subprocess.Popen(
            [sys.executable, "-m", "kiosk.buttons.main", "--config", str(config), *options],
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.communicate()


def states(watcher: MqttWatcher) -> list[str]:
    return [m.json()["state"] for m in watcher.on(TopicKind.STATUS)]


def test_runs_until_sigterm_then_says_offline(
    run_kiosk: Callable[..., subprocess.Popen[bytes]], watch: Callable[..., MqttWatcher]
) -> None:
    watcher = watch("entry-k1", TopicKind.STATUS, TopicKind.HEARTBEAT)
    process = run_kiosk()
    assert wait_for(lambda: states(watcher) == ["online"] and watcher.on(TopicKind.HEARTBEAT), timeout=20)
    heartbeat = watcher.on(TopicKind.HEARTBEAT)[0].json()
    assert heartbeat["kiosk_id"] == "entry-k1"
    assert heartbeat["outbox_depth"] == 0
    process.send_signal(signal.SIGTERM)
    out, _ = process.communicate(timeout=15)
    assert process.returncode == 0, out.decode()
    assert wait_for(lambda: states(watcher) == ["online", "offline"])


def test_sigkill_leaves_the_last_will(
    run_kiosk: Callable[..., subprocess.Popen[bytes]], watch: Callable[..., MqttWatcher]
) -> None:
    watcher = watch("entry-k1", TopicKind.STATUS)
    process = run_kiosk(KIOSK_MQTT_KEEPALIVE_S="5")
    assert wait_for(lambda: states(watcher) == ["online"], timeout=20)
    process.kill()
    assert wait_for(lambda: states(watcher) == ["online", "offline"], timeout=20)


def test_refuses_an_outbox_of_another_kiosk(run_kiosk: Callable[..., subprocess.Popen[bytes]], tmp_path: Path) -> None:
    Outbox(tmp_path / "data" / "outbox.sqlite3", "someone-else", local_device_id()).close()
    process = run_kiosk()
    out, _ = process.communicate(timeout=20)
    assert process.returncode == 2
    assert "belongs to kiosk 'someone-else', not 'entry-k1'" in out.decode()


def test_bad_environment_stops_it_with_one_line(run_kiosk: Callable[..., subprocess.Popen[bytes]]) -> None:
    process = run_kiosk(KIOSK_MQTT_PORT="eighty")
    out, _ = process.communicate(timeout=20)
    assert process.returncode == 2
    assert "KIOSK_MQTT_PORT (environment): Input should be a valid integer" in out.decode()


def test_refuses_an_outbox_copied_from_another_device_until_adopted(
    run_kiosk: Callable[..., subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    copied = Outbox(tmp_path / "data" / "outbox.sqlite3", "entry-k1", "machine-id:the-broken-one")
    copied.append(lambda seq: rating("entry-k1", seq))
    copied.close()
    process = run_kiosk()
    out, _ = process.communicate(timeout=20)
    lines = out.decode().strip().splitlines()
    assert process.returncode == 2
    assert len(lines) == 1, lines  # one clear line
    assert "was created on another device (machine-id:the-broken-one; this is " in lines[0]
    adopt = run_kiosk("entry-k1", "--adopt-outbox")
    out, _ = adopt.communicate(timeout=20)
    assert adopt.returncode == 0, out.decode()
    assert "adopted by this device as instance" in out.decode()
    assert "1 pending rating(s)" in out.decode()
    again = Outbox(tmp_path / "data" / "outbox.sqlite3", "entry-k1", local_device_id())  # now this device's
    assert again.instance != copied.instance
    assert again.stats().depth == 1
    again.close()
