"""The contract between the kiosk core and its faces: faces use only `kiosk.core.face_api`, and `Kiosk` keeps it."""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.core.clock import Clock
from kiosk.core.face_api import (
    ConfigChanged,
    KioskCore,
    KioskEvent,
    LinkChanged,
    PressAccepted,
    PressFailed,
    Step,
    StepChanged,
)
from kiosk.core.kiosk import Kiosk
from kiosk.core.settings import KioskSettings
from protocol import Face, KioskConfig, Rating, encode

ROOT = Path(__file__).resolve().parents[2]
FACES = [*sorted((ROOT / "kiosk" / "buttons").glob("*.py")), *sorted((ROOT / "kiosk" / "touch").rglob("*.py"))]
FACES += [ROOT / "firmware_sim" / "mock_kiosk.py", ROOT / "firmware_sim" / "worker.py"]
BEHIND_THE_CONTRACT = {"kiosk.core.flow", "kiosk.core.link", "kiosk.core.outbox", "kiosk.core.remote_config"}


@pytest.mark.parametrize("path", FACES, ids=lambda p: str(p.relative_to(ROOT)))
def test_faces_use_only_the_contract(path: Path) -> None:
    imported = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
        elif isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
    assert not imported & BEHIND_THE_CONTRACT, f"{path.name} reaches behind kiosk.core.face_api"


@pytest.fixture
def kiosk(tmp_path: Path) -> Iterator[Kiosk]:
    settings = KioskSettings(
        kiosk_id="k1", organisation="test", service_point="sp-1", data_dir=tmp_path, clock_synced="yes", cooldown_s=0
    )
    made = Kiosk(settings)
    yield made
    made.outbox.close()


def config(revision: int, services: list[str], reasons: list[str] | None = None) -> bytes:
    return encode(
        KioskConfig(
            revision=revision,
            service_point="sp-1",
            services=[{"id": s, "labels": {"it": s.title()}} for s in services],  # type: ignore[misc]
            reasons=[{"code": r, "labels": {"it": r}} for r in reasons or ["waiting-time"]],  # type: ignore[misc]
            languages=["it", "en", "fr"],
        )
    )


def test_kiosk_keeps_the_contract(kiosk: Kiosk) -> None:
    core: KioskCore = kiosk  # mypy checks the shape; the calls below check the behaviour
    events: list[KioskEvent] = []
    core.add_listener(events.append)
    assert core.kiosk_id == "k1"
    assert core.step is Step.IDLE
    assert not core.online
    assert core.offered_services() == ()
    assert [r.code for r in core.offered_reasons()][:1] == ["waiting-time"]
    assert core.offered_reasons()[0].labels["it"] == "Tempo di attesa"

    kiosk.config.receive(config(1, ["anagrafe", "tributi"], ["waiting-time", "must-come-back"]))
    changed = [e for e in events if isinstance(e, ConfigChanged)]
    assert changed
    assert changed[-1].config.languages == ("it", "en", "fr")
    assert [s.id for s in core.offered_services()] == ["anagrafe", "tributi"]
    assert core.offered_services()[1].labels == {"it": "Tributi"}

    core.begin()
    assert core.step is Step.SERVICE  # type: ignore[comparison-overlap]  # mypy narrowed it to IDLE above
    with pytest.raises(ValueError, match="not offered"):
        core.choose_service("stato-civile")
    core.choose_service("tributi")
    core.press_face(Face.NEGATIVE)
    assert core.step is Step.REASON
    core.choose_reason("must-come-back")
    assert core.step is Step.THANK_YOU
    accepted = [e.rating for e in events if isinstance(e, PressAccepted)]
    assert [(r.face, r.service, r.reason) for r in accepted] == [(Face.NEGATIVE, "tributi", "must-come-back")]
    stored = [Rating.model_validate_json(p.payload) for p in kiosk.outbox.pending(1, 10)]
    assert stored == accepted

    state = core.state()
    assert (state.kiosk_id, state.outbox_depth, state.last_seq, state.watermark) == ("k1", 1, 1, 0)
    assert state.config_revision == 1
    assert state.clock_synced
    assert state.broker == "127.0.0.1:1883"
    assert not state.online


def test_cancel_goes_back_to_idle_recording_nothing_but_keeps_a_red_face(kiosk: Kiosk) -> None:
    kiosk.config.receive(config(1, ["anagrafe", "tributi"]))
    steps: list[Step] = []
    kiosk.add_listener(lambda e: steps.append(e.step) if isinstance(e, StepChanged) else None)
    kiosk.begin()
    kiosk.choose_service("anagrafe")
    kiosk.cancel()
    assert kiosk.step is Step.IDLE
    assert kiosk.outbox.stats().depth == 0
    kiosk.begin()
    kiosk.choose_service("anagrafe")
    kiosk.press_face(Face.NEGATIVE)
    kiosk.cancel()  # walked away from the reasons: the red face stands, without a reason
    rows = [Rating.model_validate_json(p.payload) for p in kiosk.outbox.pending(1, 10)]
    assert [(r.face, r.reason) for r in rows] == [(Face.NEGATIVE, None)]
    assert steps == [Step.SERVICE, Step.FACE, Step.IDLE, Step.SERVICE, Step.FACE, Step.REASON, Step.THANK_YOU]


def test_link_changes_reach_the_listener(kiosk: Kiosk) -> None:
    events: list[KioskEvent] = []
    kiosk.add_listener(events.append)
    kiosk.link._set_online(True)  # what the link's thread does on CONNACK (test_link covers the real one)
    kiosk.link._set_online(False)
    assert [e for e in events if isinstance(e, LinkChanged)] == [LinkChanged(True), LinkChanged(False)]


def test_a_full_disk_is_told_apart_from_other_failures(kiosk: Kiosk) -> None:
    events: list[KioskEvent] = []
    kiosk.add_listener(events.append)
    kiosk.press_face(Face.POSITIVE)
    conn = kiosk.outbox._connection()  # this thread's connection: the one a press writes with
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")  # SQLite answers SQLITE_FULL from now on
    for _ in range(50):  # until a write needs a new page
        kiosk.cancel()
        kiosk.press_face(Face.NEUTRAL)
        if any(isinstance(e, PressFailed) for e in events):
            break
    failed = [e for e in events if isinstance(e, PressFailed)]
    assert failed
    assert failed[0].full, failed
    assert kiosk.step is Step.IDLE
    assert json.loads(kiosk.outbox.pending(1, 1)[0].payload)["face"] == "positive"


def test_the_flows_timeouts_run_on_the_kiosks_clock(tmp_path: Path) -> None:
    """A face's tests move time by hand (no test may depend on a machine's speed): the clock given is the one."""
    now = [100.0]
    settings = KioskSettings(
        kiosk_id="k1", organisation="test", service_point="sp-1", data_dir=tmp_path, face_timeout_s=5, thank_you_s=2
    )
    kiosk = Kiosk(settings, clock=Clock("yes", monotonic=lambda: now[0]))
    try:
        kiosk.begin()
        now[0] += 4.9
        kiosk.tick()
        assert kiosk.step is Step.FACE
        now[0] += 0.1
        kiosk.tick()
        assert kiosk.step is Step.IDLE  # type: ignore[comparison-overlap]  # mypy narrowed it to FACE above
        kiosk.press_face(Face.POSITIVE)
        kiosk.tick()
        assert kiosk.step is Step.THANK_YOU
        now[0] += 2
        kiosk.tick()
        assert kiosk.step is Step.IDLE
    finally:
        kiosk.outbox.close()
