"""Two devices with one kiosk id and one password (a cloned SD card, a test bench left running with production
credentials): every press of both is stored exactly once, and neither forgets a rating the collector lacks.

The kiosks are real processes running the real kiosk code (the simulator's fleet), each with its own outbox;
they fight over one MQTT client id while citizens press, and the broker restarts in the middle.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from devstack.mosquitto import LocalMosquitto
from firmware_sim.fleet import Fleet
from firmware_sim.worker import WorkerSpec
from tests.fixtures.fix_collector import CollectorProcess
from tests.fixtures.fix_kiosk import kiosk_options
from tests.fixtures.prometheus import scrape
from tests.waiting import wait_for

PRESSING_S = 60.0


@pytest.fixture
def twins(tmp_path: Path, broker: LocalMosquitto) -> Iterator[Fleet]:
    """Two kiosk processes with the same id and password, each on its own device (its own outbox)."""
    shared = kiosk_options(
        tmp_path,
        broker.port,
        resend_after_s=2.0,
        mqtt_password="one-password-for-both",
        takeover_backoff_s=3.0,
        takeover_backoff_max_s=6.0,
    )
    specs = [
        WorkerSpec(
            settings={**shared, "data_dir": tmp_path / f"device-{name}", "device_id": f"device-{name}"},
            log_file=str(tmp_path / f"device-{name}.log"),
        )
        for name in ("a", "b")
    ]
    fleet = Fleet(specs)
    fleet.start_all()
    yield fleet
    fleet.stop_all()


def stored_events(database_url: str, kiosk_id: str) -> list[str]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute("SELECT event_id::text FROM ratings WHERE kiosk_id = %s", (kiosk_id,))
        return [str(e) for (e,) in rows]


def test_two_devices_with_one_identity_lose_nothing_and_count_nothing_twice(
    twins: Fleet, broker: LocalMosquitto, collector: CollectorProcess, database_url: str
) -> None:
    rng = random.Random(11)
    kiosk_id = twins.kiosks[0].kiosk_id
    started = time.monotonic()
    restarted = False
    while time.monotonic() - started < PRESSING_S:
        if not restarted and time.monotonic() - started > PRESSING_S / 2:
            broker.stop()
            twins.poll(2.0)
            broker.start()
            restarted = True
        for handle in twins.kiosks:
            if not handle.busy:
                twins.citizen(handle, rng.choice(("positive", "neutral")), None, 0)
        twins.poll(rng.uniform(0.1, 0.4))
    twins.sync_all(30)
    taken = {h.kiosk_id + ":" + str(h.index): list(h.event_ids) for h in twins.kiosks}
    assert all(len(events) > 20 for events in taken.values()), {k: len(v) for k, v in taken.items()}

    def delivered() -> bool:
        twins.poll(0.1)
        return all((s := h.stats()) is not None and s.depth == 0 for h in twins.kiosks)

    assert wait_for(delivered, timeout=120), [h.stats() for h in twins.kiosks]
    rows = stored_events(database_url, kiosk_id)
    everything = [e for events in taken.values() for e in events]
    assert len(rows) == len(set(rows))  # nothing counted twice
    missing = set(everything) - set(rows)
    assert not missing, f"{len(missing)} of {len(everything)} presses forgotten by a kiosk and never stored"
    assert sorted(rows) == sorted(everything)

    (kiosk,) = [k for k in collector.get("/v1/kiosks") if k["id"] == kiosk_id]
    conflict = kiosk["identity_conflict"]
    assert conflict is not None
    assert len(conflict["instances"]) == 2
    assert {i["acked_seq"] for i in conflict["instances"]} == {len(events) for events in taken.values()}
    assert kiosk["open_gaps"] == 0
    metrics = scrape(collector.url, collector.token)
    assert sum(v for name, v in metrics.items() if name.startswith("mlf_kiosk_identity_conflicts_total{")) == 1
    assert "identity conflict" in collector.log_text()
