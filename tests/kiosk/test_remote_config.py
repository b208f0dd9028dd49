"""Remote configuration: the last good one kept, bad or hostile ones rejected with a reason, never a crash."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kiosk.core.outbox import Outbox
from kiosk.core.remote_config import FlowConfig, RemoteConfig
from kiosk.core.settings import KioskSettings
from protocol import KioskConfig, encode

GOOD: dict[str, Any] = {
    "revision": 7,
    "service_point": "roma-anagrafe-sportello-3",
    "services": [{"id": "anagrafe", "labels": {"it": "Anagrafe", "en": "Registry office"}}],
    "reasons": [{"code": "waiting-time", "labels": {"it": "Tempo di attesa", "en": "Waiting time"}}],
    "cooldown_s": 5.0,
}

DEVICE = "machine-id:test-device"


def payload(**changes: Any) -> bytes:
    return json.dumps({**GOOD, **changes}).encode()


@pytest.fixture
def outbox(tmp_path: Path) -> Any:
    box = Outbox(tmp_path / "o.sqlite3", "k1", DEVICE)
    yield box
    box.close()


@pytest.fixture
def settings(tmp_path: Path) -> KioskSettings:
    return KioskSettings(kiosk_id="k1", organisation="roma", service_point="local-sp", data_dir=tmp_path)


def test_local_settings_until_a_remote_config_arrives(settings: KioskSettings, outbox: Outbox) -> None:
    config = RemoteConfig(settings, outbox)
    assert config.current == FlowConfig.from_settings(settings)
    assert config.revision is None
    assert config.current.reason_codes() == ("waiting-time", "staff-courtesy", "information-clarity", "must-come-back")
    assert config.current.reasons[0].labels["it"] == "Tempo di attesa"  # every shipped language: tests/i18n
    assert config.current.reasons[0].labels["en"] == "Waiting time"


def test_valid_config_is_applied_kept_and_reloaded(settings: KioskSettings, outbox: Outbox) -> None:
    config = RemoteConfig(settings, outbox)
    seen: list[FlowConfig] = []
    config.add_listener(seen.append)
    assert config.receive(payload())
    assert config.current.service_point == "roma-anagrafe-sportello-3"
    assert config.current.cooldown_s == 5.0
    assert config.revision == 7
    assert config.error is None
    assert seen == [config.current]
    again = RemoteConfig(settings, outbox)  # after a restart, offline: the saved one
    assert again.current == config.current


def test_the_retained_copy_again_changes_nothing(settings: KioskSettings, outbox: Outbox) -> None:
    config = RemoteConfig(settings, outbox)
    config.receive(payload())
    assert not config.receive(payload())
    assert config.error is None


HOSTILE = [
    (b"", None),  # retained config cleared: keep the current one, no error
    (b"\xff\xfe not utf-8", "not UTF-8"),
    (b'{"revision": 8, "service_point": ', "not JSON"),
    (b"[" * 100_000, "exceeds"),
    (b"[" * 5000 + b"]" * 5000, "not JSON"),
    (payload(revision=8, cooldown_s=-1), "cooldown_s"),
    (payload(revision=8, cooldown_s="3"), "cooldown_s"),
    (payload(revision=8, service_point="../../etc"), "service_point"),
    (payload(revision=8, services=[{"id": f"s{i}", "labels": {"it": "x"}} for i in range(50)]), "services"),
    (payload(revision=8, reasons=[{"code": "a", "labels": {"it": "bad\u0007bell"}}]), "labels"),
    (payload(revision=8, reasons=[{"code": "a", "labels": {"it": "x"}}] * 2), "duplicates"),
    (payload(revision=8, admin=True), "admin"),
    (json.dumps({**GOOD, "revision": 8, "service_point": "x" * 5000}).encode(), "service_point"),
    (payload(revision=3), "revision 3 is older than revision 7 in use"),
    (payload(revision=7, cooldown_s=0), "revision 7 was already used for a different configuration"),
]


@pytest.mark.parametrize(("raw", "reason"), HOSTILE, ids=[str(i) for i in range(len(HOSTILE))])
def test_bad_or_hostile_config_is_rejected_and_reported(
    settings: KioskSettings, outbox: Outbox, raw: bytes, reason: str | None
) -> None:
    config = RemoteConfig(settings, outbox)
    config.receive(payload())
    before = config.current
    assert not config.receive(raw)
    assert config.current == before
    if reason is None:
        assert config.error is None
    else:
        assert config.error is not None
        assert reason in config.error
        assert len(config.error) <= 500
        assert config.error.isprintable()
    assert RemoteConfig(settings, outbox).current == before  # the last good one is what is on disk


def test_a_good_config_after_a_bad_one_clears_the_error(settings: KioskSettings, outbox: Outbox) -> None:
    config = RemoteConfig(settings, outbox)
    config.receive(b"garbage")
    assert config.error
    assert config.receive(encode(KioskConfig.model_validate({**GOOD, "revision": 9})))
    assert config.error is None
    assert config.revision == 9
