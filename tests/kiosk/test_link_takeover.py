"""Two devices with one kiosk id on a real mosquitto and collector: the one pushed off backs off instead of
fighting back. (mosquitto 2.0 closes the socket of the client it replaces without a reason code; the kiosk
tells a takeover by the collector's acks for the other instance, see `kiosk.core.link`.)"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from firmware_sim.mock_kiosk import SimulatedButtonKiosk
from kiosk.core.link import Link
from tests.fixtures.fix_collector import CollectorProcess
from tests.waiting import wait_for

BACKOFF_S = 4.0


def test_a_kiosk_taken_over_by_its_twin_waits_before_taking_the_connection_back(
    make_kiosk: Callable[..., SimulatedButtonKiosk], collector: CollectorProcess, tmp_path: Path
) -> None:
    options = {"kiosk_id": "twin-k1", "takeover_backoff_s": BACKOFF_S, "takeover_backoff_max_s": 2 * BACKOFF_S}
    first = make_kiosk(**options, data_dir=tmp_path / "a")
    second = make_kiosk(**options, data_dir=tmp_path / "b")
    first.start()
    assert wait_for(lambda: first.kiosk.link.online, timeout=10)
    second.start()
    # They may push each other off once or twice before each has heard of the other from the collector.
    assert wait_for(lambda: any(s.kiosk.link.stats.takeovers for s in (first, second)), timeout=30)
    time.sleep(4 * BACKOFF_S)
    links: list[Link] = [first.kiosk.link, second.kiosk.link]
    connections = sum(link.stats.connections for link in links)
    # Fighting (reconnecting within reconnect_max_s = 2 s) would have made dozens of connections by now.
    assert connections <= 8, [link.stats for link in links]
    assert all(link.stats.takeovers >= 1 for link in links)  # they take turns
    assert first.kiosk.heartbeat().session_takeovers == first.kiosk.link.stats.takeovers
