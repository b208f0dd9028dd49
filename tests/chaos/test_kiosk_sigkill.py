"""SIGKILL of a kiosk process (a power cut) between a press and its acknowledgement: delivered exactly once.

The kiosks are real processes running the real kiosk code on mock pins (the
simulator's fleet); "exactly once" is counted by event id in PostgreSQL.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from devstack.mosquitto import LocalMosquitto
from firmware_sim.fleet import Fleet, KioskHandle
from firmware_sim.worker import WorkerSpec
from tests.fixtures.fix_collector import CollectorProcess
from tests.fixtures.fix_kiosk import kiosk_options, stored
from tests.waiting import wait_for


@pytest.fixture
def one_kiosk(tmp_path: Path, broker: LocalMosquitto) -> Iterator[tuple[Fleet, KioskHandle]]:
    options = kiosk_options(tmp_path, broker.port, resend_after_s=2.0)
    fleet = Fleet([WorkerSpec(settings=options, log_file=str(tmp_path / "kiosk.log"))])
    fleet.start_all()
    yield fleet, fleet.kiosks[0]
    fleet.stop_all()


def press_and_confirm(fleet: Fleet, handle: KioskHandle, face: str) -> None:
    """A citizen presses and sees the confirmation: the rating is on the kiosk's disk."""
    before = handle.accepted
    assert fleet.citizen(handle, face, None, 0, queue=True)

    def confirmed() -> bool:
        fleet.poll(0.01)
        return handle.accepted > before

    assert wait_for(confirmed, timeout=10)


def pending(handle: KioskHandle) -> int:
    stats = handle.stats()
    assert stats is not None
    return stats.depth


def test_sigkill_between_press_and_acknowledgement_delivers_exactly_once(
    one_kiosk: tuple[Fleet, KioskHandle], start_collector: Callable[..., CollectorProcess], database_url: str
) -> None:
    fleet, handle = one_kiosk
    start_collector().stop()  # the broker keeps the collector's session; nothing is acknowledged meanwhile
    for i in range(12):
        press_and_confirm(fleet, handle, ("positive", "neutral")[i % 2])
    assert wait_for(lambda: handle.online)
    assert pending(handle) == 12  # sent (maybe), not acknowledged

    fleet.kill(handle)  # power cut
    fleet.start(handle)
    fleet.start_all()  # waits until it is up again: it resends everything not acknowledged
    start_collector()
    assert wait_for(lambda: pending(handle) == 0, timeout=60)

    rows = stored(database_url, handle.kiosk_id)
    assert [seq for _, seq in rows] == list(range(1, 13))
    assert [event for event, _ in rows] == handle.event_ids  # each confirmed press stored exactly once


def test_sigkill_at_random_instants_while_pressing_and_delivering(
    one_kiosk: tuple[Fleet, KioskHandle], collector: CollectorProcess, database_url: str
) -> None:
    fleet, handle = one_kiosk
    rng = random.Random(7)
    for _ in range(4):
        for i in range(15):
            assert fleet.citizen(handle, ("positive", "neutral")[i % 2], None, 0, queue=True)
        fleet.poll(rng.uniform(0.05, 0.6))
        fleet.kill(handle)  # somewhere between a press, its write, its send and its acknowledgement
        fleet.start(handle)
        fleet.start_all()
    assert handle.kills == 4
    assert wait_for(lambda: pending(handle) == 0, timeout=60)

    stats = handle.stats()
    assert stats is not None
    assert stats.last_seq > 0
    rows = stored(database_url, handle.kiosk_id)
    events = [event for event, _ in rows]
    assert [seq for _, seq in rows] == list(range(1, stats.last_seq + 1))  # no gap, no duplicate
    assert len(set(events)) == len(events)
    assert set(handle.event_ids) <= set(events)  # every confirmation the fleet saw is stored
