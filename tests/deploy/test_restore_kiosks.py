"""A restore to an older point with kiosks running, on a real broker, collector and PostgreSQL.

Kiosks rate, the database is dumped, kiosks rate more (stored, acknowledged, deleted from their outboxes),
the collector stops while kiosks keep rating (they hold those), the database is restored from the dump, and
the kiosks carry on. Every rating the kiosks still held is stored; the ones they had deleted since the dump
are counted lost, exactly, and never silently; every kiosk's watermark passes its last number again and its
outbox empties (docs/mqtt.md, "After a restore").
"""

from __future__ import annotations

import urllib.request
from collections.abc import Callable
from pathlib import Path

import psycopg

from devstack.mosquitto import LocalMosquitto
from firmware_sim.mock_kiosk import SimulatedButtonKiosk
from kiosk.buttons.settings import ButtonKioskSettings
from kiosk.core.flow import FlowEvent, PressAccepted
from protocol import Face
from tests.fixtures.fix_collector import CollectorProcess, collectors
from tests.fixtures.fix_kiosk import kiosk_options
from tests.fixtures.fix_pg_archive import DATABASE, ArchivedCluster, stored_events
from tests.waiting import wait_for

KIOSKS = 3


class Taken:
    """Event ids each kiosk accepted, by phase of the test."""

    def __init__(self, sims: list[SimulatedButtonKiosk]) -> None:
        self.phase = ""
        self.events: dict[tuple[str, str], set[str]] = {}
        for sim in sims:
            sim.kiosk.flow.add_listener(self._keeper(sim.kiosk.settings.kiosk_id))

    def _keeper(self, kiosk_id: str) -> Callable[[FlowEvent], None]:
        def keep(event: FlowEvent) -> None:
            if isinstance(event, PressAccepted):
                self.events.setdefault((kiosk_id, self.phase), set()).add(str(event.rating.event_id))

        return keep

    def of(self, *phases: str) -> set[str]:
        return {e for (_, phase), events in self.events.items() if phase in phases for e in events}


def rate(sims: list[SimulatedButtonKiosk], taken: Taken, phase: str, presses: int) -> None:
    taken.phase = phase
    for i in range(presses):
        for sim in sims:
            sim.press((Face.POSITIVE, Face.NEUTRAL)[i % 2])
    assert wait_for(lambda: len(taken.of(phase)) == presses * len(sims), 10), "a press was not accepted"


def delivered(sims: list[SimulatedButtonKiosk]) -> bool:
    return all(sim.kiosk.outbox.stats().delivered for sim in sims)


def metrics_text(collector: CollectorProcess) -> str:
    headers = {"Authorization": f"Bearer {collector.token}"}
    request = urllib.request.Request(collector.url + "/metrics", headers=headers)  # noqa: S310 - loopback
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - loopback
        body: bytes = response.read()
    return body.decode()


def test_after_a_restore_to_an_older_point_kiosks_lose_nothing_they_hold_and_the_rest_is_counted(
    archived_cluster: ArchivedCluster,
    broker: LocalMosquitto,
    tmp_path: Path,
) -> None:
    cluster = archived_cluster
    # No cooldown, whatever the collector's config says: the test presses as fast as it can.
    settings = [kiosk_options(tmp_path, broker.port, heartbeat_interval_s=1) for _ in range(KIOSKS)]
    sims = [SimulatedButtonKiosk(ButtonKioskSettings(**s), cooldown_override=0.0) for s in settings]
    try:
        run(cluster, broker, tmp_path, sims)
    finally:
        for sim in sims:
            sim.stop()


def run(cluster: ArchivedCluster, broker: LocalMosquitto, tmp_path: Path, sims: list[SimulatedButtonKiosk]) -> None:
    taken = Taken(sims)
    with collectors(cluster.url, broker, tmp_path) as start:
        collector = start()
        for sim in sims:
            sim.start()
        rate(sims, taken, "before the backup", 5)
        assert wait_for(lambda: delivered(sims), 60)
        cluster.run("db-dump.sh", str(cluster.root / "dumps"))
        rate(sims, taken, "acknowledged after the backup", 4)
        assert wait_for(lambda: delivered(sims), 60), "the kiosks deleted these: the collector had them"
        collector.stop()
    rate(sims, taken, "held while the collector was down", 3)
    assert all(sim.kiosk.outbox.stats().depth == 3 for sim in sims)

    with psycopg.connect(cluster.server.dsn(), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE {DATABASE} WITH (FORCE)".encode())
    cluster.run("db-restore.sh", str(next((cluster.root / "dumps").glob("*.dump"))))
    assert stored_events(cluster.url) == taken.of("before the backup")

    with collectors(cluster.url, broker, tmp_path) as start:
        collector = start()
        rate(sims, taken, "after the restore", 2)
        assert wait_for(lambda: delivered(sims), 60), [sim.kiosk.outbox.stats() for sim in sims]
        kept = taken.of("before the backup", "held while the collector was down", "after the restore")
        assert wait_for(lambda: stored_events(cluster.url) == kept, 30)
        assert not stored_events(cluster.url) & taken.of("acknowledged after the backup")

        fleet = {k["id"]: k for k in collector.get("/v1/kiosks")}
        for sim in sims:
            stats = sim.kiosk.outbox.stats()
            assert stats.last_seq == 5 + 4 + 3 + 2
            status = fleet[sim.kiosk.settings.kiosk_id]
            assert status["lost_ratings"] == 4, status
            assert status["open_gaps"] == 0
            assert status["acked_seq"] == stats.last_seq == stats.watermark
        assert "mlf_kiosk_ratings_lost_total 12.0" in metrics_text(collector)
    assert collector.log_text().count("rating(s) lost, seq 6-9") == KIOSKS
