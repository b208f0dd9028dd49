"""The broker goes away (cleanly, or crashing after its PUBACK): every press still reaches PostgreSQL once, in order."""

from __future__ import annotations

import time
from collections.abc import Callable

from devstack.mosquitto import LocalMosquitto
from firmware_sim.mock_kiosk import SimulatedButtonKiosk
from kiosk.core.flow import FlowEvent, PressAccepted
from protocol import Face, TopicKind
from tests.fixtures.fix_collector import CollectorProcess
from tests.fixtures.fix_kiosk import MqttWatcher, stored
from tests.waiting import wait_for

OUTAGE_S = 25
"""Long enough for several presses and for the kiosk's reconnect delay to grow to its cap."""


def taken_event_ids(sim: SimulatedButtonKiosk) -> list[str]:
    taken: list[str] = []

    def keep(event: FlowEvent) -> None:
        if isinstance(event, PressAccepted):
            taken.append(str(event.rating.event_id))

    sim.kiosk.flow.add_listener(keep)
    return taken


def timed_press(sim: SimulatedButtonKiosk, face: Face) -> float:
    started = time.perf_counter()
    sim.press(face)
    return time.perf_counter() - started


def first_arrivals(watcher: MqttWatcher) -> list[int]:
    seen: list[int] = []
    for message in watcher.on(TopicKind.RATING):
        seq = message.json()["seq"]
        if seq not in seen:
            seen.append(seq)
    return seen


def test_broker_down_for_a_while_every_press_arrives_in_order(
    make_kiosk: Callable[..., SimulatedButtonKiosk],
    watch: Callable[..., MqttWatcher],
    broker: LocalMosquitto,
    collector: CollectorProcess,
    database_url: str,
) -> None:
    sim = make_kiosk(reconnect_max_s=4)
    kiosk_id = sim.kiosk.settings.kiosk_id
    taken = taken_event_ids(sim)
    watcher = watch(kiosk_id, TopicKind.RATING)
    sim.start()
    for face in (Face.POSITIVE, Face.NEUTRAL, Face.POSITIVE):
        sim.press(face)
    assert wait_for(lambda: len(stored(database_url, kiosk_id)) == 3)
    assert wait_for(lambda: sim.kiosk.outbox.stats().depth == 0)  # their ack watermark has reached the kiosk

    broker.stop()
    assert wait_for(lambda: not sim.kiosk.link.online, timeout=5)
    outage_ends = time.monotonic() + OUTAGE_S
    latencies: list[float] = []
    while time.monotonic() < outage_ends:
        latencies.append(timed_press(sim, (Face.NEGATIVE, Face.POSITIVE, Face.NEUTRAL)[len(latencies) % 3]))
        time.sleep(3)
        sim.press(Face.NEGATIVE)  # skip the reason
    assert len(latencies) >= 6
    assert max(latencies) < 0.5  # thanked at once, network or not
    assert sim.kiosk.outbox.stats().depth == len(taken) - 3
    assert not sim.kiosk.link.online

    broker.start()
    for face in (Face.NEUTRAL, Face.POSITIVE):
        sim.press(face)
    assert wait_for(lambda: sim.kiosk.outbox.stats().depth == 0, timeout=60)

    rows = stored(database_url, kiosk_id)
    assert [seq for _, seq in rows] == list(range(1, len(taken) + 1))
    assert [event for event, _ in rows] == taken  # each press exactly once, as taken
    assert first_arrivals(watcher) == list(range(1, len(taken) + 1))  # and it arrived in order


def test_broker_crash_after_puback_is_healed_by_resending(
    make_kiosk: Callable[..., SimulatedButtonKiosk],
    broker: LocalMosquitto,
    start_collector: Callable[..., CollectorProcess],
    database_url: str,
) -> None:
    broker.stop()
    broker.autosave_interval = 3600  # it writes its queues to disk only when it stops cleanly
    broker.start()
    start_collector().stop()  # the collector's persistent session exists; the collector is away
    sim = make_kiosk(resend_after_s=2)
    kiosk_id = sim.kiosk.settings.kiosk_id
    taken = taken_event_ids(sim)
    sim.start()
    for i in range(10):
        sim.press((Face.POSITIVE, Face.NEUTRAL)[i % 2])
    assert wait_for(lambda: sim.kiosk.link.stats.broker_acked == 10)  # the broker has said "got it" ...

    broker.kill()  # ... and dies before writing anything down
    broker.stop()  # (closes its pipes)
    broker.start()
    # Reconnected, and sent them again at once: to nobody, as the broker lost the collector's session.
    # (Waiting for `online` alone raced: it can still be true from before the crash, and a collector
    # subscribed in time would get these and leave the resend timer nothing to heal.)
    link = sim.kiosk.link
    assert wait_for(lambda: link.stats.connections == 2 and link.stats.broker_acked == 20, timeout=10)
    resends_before = link.stats.resends
    start_collector()
    assert wait_for(lambda: sim.kiosk.outbox.stats().depth == 0, timeout=60)
    assert sim.kiosk.link.stats.resends > resends_before  # only the resend timer brought them back

    rows = stored(database_url, kiosk_id)
    assert [event for event, _ in rows] == taken
    assert [seq for _, seq in rows] == list(range(1, 11))
