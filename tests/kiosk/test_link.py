"""The kiosk's MQTT link against a real mosquitto: order, watermark, resends, availability, remote config."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from devstack.mosquitto import LocalMosquitto
from firmware_sim.mock_kiosk import SimulatedButtonKiosk
from firmware_sim.network import FlakyNetwork
from kiosk.buttons.settings import ButtonKioskSettings
from protocol import Ack, Face, Heartbeat, KioskConfig, TopicKind, encode
from tests.fixtures.fix_kiosk import MqttWatcher, kiosk_options, publish
from tests.waiting import wait_for

MakeKiosk = Callable[..., SimulatedButtonKiosk]
Watch = Callable[..., MqttWatcher]


def ack(kiosk_id: str, seq: int, instance: uuid.UUID | None) -> bytes:
    return encode(Ack(kiosk_id=kiosk_id, instance=instance, seq=seq, at=datetime.now(UTC)))


def seqs(watcher: MqttWatcher) -> list[int]:
    return [m.json()["seq"] for m in watcher.on(TopicKind.RATING)]


def press(sim: SimulatedButtonKiosk, n: int) -> None:
    for i in range(n):
        sim.press((Face.POSITIVE, Face.NEUTRAL)[i % 2])


def test_online_then_heartbeat_then_ratings_in_order(make_kiosk: MakeKiosk, watch: Watch) -> None:
    sim = make_kiosk()
    kiosk_id = sim.kiosk.settings.kiosk_id
    watcher = watch(kiosk_id)
    press(sim, 3)  # taken while not connected yet: stored, thanked, waiting
    sim.start()
    assert wait_for(lambda: len(seqs(watcher)) == 3)
    kinds = [m.topic.rsplit("/", 1)[1] for m in watcher.messages]
    assert kinds[:3] == ["status", "heartbeat", "rating"]
    assert watcher.messages[0].json() == {"state": "online", "version": "0.1.0"}
    late = watch(kiosk_id, TopicKind.STATUS)  # a later subscriber gets the retained status at once
    assert wait_for(lambda: late.messages)
    assert late.messages[0].retain
    assert late.messages[0].json()["state"] == "online"
    heartbeat = watcher.on(TopicKind.HEARTBEAT)[0].json()
    assert heartbeat["last_seq"] == 3
    assert heartbeat["outbox_depth"] == 3
    assert heartbeat["clock"]["synced"]
    assert heartbeat["oldest_pending_age_s"] >= 0
    assert heartbeat["software_version"] == "0.1.0"
    assert seqs(watcher) == [1, 2, 3]


def test_only_the_watermark_lets_the_kiosk_forget(make_kiosk: MakeKiosk, watch: Watch, broker: LocalMosquitto) -> None:
    sim = make_kiosk(resend_after_s=60)
    kiosk_id = sim.kiosk.settings.kiosk_id
    watcher = watch(kiosk_id, TopicKind.RATING)
    sim.start()
    press(sim, 5)
    assert wait_for(lambda: len(seqs(watcher)) == 5)
    assert sim.kiosk.link.stats.broker_acked == 5
    assert sim.kiosk.outbox.stats().depth == 5  # the broker's PUBACK is not enough
    publish(broker.port, kiosk_id, TopicKind.ACK, ack(kiosk_id, 3, sim.kiosk.outbox.instance))
    assert wait_for(lambda: sim.kiosk.outbox.stats().depth == 2)
    publish(broker.port, kiosk_id, TopicKind.ACK, ack(kiosk_id, 1, sim.kiosk.outbox.instance))  # older: ignored
    mine = sim.kiosk.outbox.instance
    publish(broker.port, kiosk_id, TopicKind.ACK, ack("someone-else", 5, mine))  # not ours: ignored
    publish(broker.port, kiosk_id, TopicKind.ACK, b'{"seq": "lots"}')  # garbage: ignored
    publish(broker.port, kiosk_id, TopicKind.ACK, ack(kiosk_id, 5, uuid.uuid4()))  # another device's: ignored
    publish(broker.port, kiosk_id, TopicKind.ACK, ack(kiosk_id, 5, None))  # a kiosk-wide one: not for us
    publish(broker.port, kiosk_id, TopicKind.ACK, ack(kiosk_id, 4, sim.kiosk.outbox.instance))
    assert wait_for(lambda: sim.kiosk.outbox.stats().depth == 1)
    assert sim.kiosk.outbox.stats().watermark == 4
    assert seqs(watcher) == [1, 2, 3, 4, 5]  # nothing resent meanwhile


def test_uncovered_ratings_are_resent_until_the_watermark_covers_them(
    make_kiosk: MakeKiosk, watch: Watch, broker: LocalMosquitto
) -> None:
    sim = make_kiosk(resend_after_s=1.0)
    kiosk_id = sim.kiosk.settings.kiosk_id
    watcher = watch(kiosk_id, TopicKind.RATING)
    sim.start()
    press(sim, 3)
    assert wait_for(lambda: len(seqs(watcher)) >= 6, timeout=10)
    first = [m.json()["event_id"] for m in watcher.on(TopicKind.RATING)]
    assert first[3:6] == first[:3]  # the same events again, same order, from the watermark on
    assert sim.kiosk.link.stats.resends >= 1
    publish(broker.port, kiosk_id, TopicKind.ACK, ack(kiosk_id, 3, sim.kiosk.outbox.instance))
    assert wait_for(lambda: sim.kiosk.outbox.stats().depth == 0)
    settled = len(seqs(watcher))
    wait_for(lambda: False, timeout=2.5)
    assert len(seqs(watcher)) == settled  # covered: no more resends


def test_send_window_bounds_what_runs_ahead_of_the_watermark(
    make_kiosk: MakeKiosk, watch: Watch, broker: LocalMosquitto
) -> None:
    sim = make_kiosk(send_window=4, resend_after_s=60)
    kiosk_id = sim.kiosk.settings.kiosk_id
    watcher = watch(kiosk_id, TopicKind.RATING)
    press(sim, 10)
    sim.start()
    assert wait_for(lambda: len(seqs(watcher)) == 4)
    wait_for(lambda: False, timeout=0.5)
    assert seqs(watcher) == [1, 2, 3, 4]
    publish(broker.port, kiosk_id, TopicKind.ACK, ack(kiosk_id, 4, sim.kiosk.outbox.instance))
    assert wait_for(lambda: len(seqs(watcher)) == 8)
    publish(broker.port, kiosk_id, TopicKind.ACK, ack(kiosk_id, 8, sim.kiosk.outbox.instance))
    assert wait_for(lambda: seqs(watcher) == list(range(1, 11)))


def test_a_reinstalled_kiosk_numbers_its_own_instance_from_one(
    make_kiosk: MakeKiosk, watch: Watch, broker: LocalMosquitto
) -> None:
    """A new outbox (a new SD card for a known kiosk id) is a new instance: the old one's watermark is not its."""
    old = uuid.uuid4()
    sim = make_kiosk()
    kiosk_id = sim.kiosk.settings.kiosk_id
    publish(broker.port, kiosk_id, TopicKind.ACK, ack(kiosk_id, 40, old))
    watcher = watch(kiosk_id, TopicKind.RATING)
    press(sim, 2)
    sim.start()
    assert wait_for(lambda: len(seqs(watcher)) == 2)
    assert seqs(watcher) == [1, 2]
    assert {m.json()["instance"] for m in watcher.on(TopicKind.RATING)} == {str(sim.kiosk.outbox.instance)}
    assert sim.kiosk.outbox.stats().depth == 2


def test_an_outbox_behind_its_own_watermark_continues_after_it(
    make_kiosk: MakeKiosk, watch: Watch, broker: LocalMosquitto
) -> None:
    """An older copy of this very outbox (restored on the same device): its instance has 40 stored already."""
    sim = make_kiosk()
    kiosk_id = sim.kiosk.settings.kiosk_id
    publish(broker.port, kiosk_id, TopicKind.ACK, ack(kiosk_id, 40, sim.kiosk.outbox.instance))
    watcher = watch(kiosk_id, TopicKind.RATING)
    press(sim, 2)
    sim.start()
    assert wait_for(lambda: len(seqs(watcher)) == 2)
    assert seqs(watcher) == [41, 42]
    press(sim, 1)
    assert wait_for(lambda: seqs(watcher) == [41, 42, 43])


def test_clean_stop_says_offline_and_a_lost_connection_gets_the_last_will(
    make_kiosk: MakeKiosk, watch: Watch, broker: LocalMosquitto
) -> None:
    network = FlakyNetwork("127.0.0.1", broker.port)
    port = network.start()
    try:
        sim = make_kiosk(mqtt_port=port, reconnect_min_s=0.1, reconnect_max_s=0.3)
        kiosk_id = sim.kiosk.settings.kiosk_id
        watcher = watch(kiosk_id, TopicKind.STATUS)
        sim.start()
        assert wait_for(lambda: [m.json()["state"] for m in watcher.messages] == ["online"])
        network.cut()  # the Wi-Fi is gone: the broker notices and publishes the will
        assert wait_for(lambda: [m.json()["state"] for m in watcher.messages] == ["online", "offline"])
        assert wait_for(lambda: not sim.kiosk.link.online)
        network.restore()
        assert wait_for(lambda: len(watcher.messages) == 3 and sim.kiosk.link.online)
        sim.stop()
        assert wait_for(lambda: [m.json()["state"] for m in watcher.messages][-1] == "offline")
        assert len(watcher.messages) == 4
    finally:
        network.stop()


def test_kiosk_started_without_a_broker_takes_presses_and_delivers_later(
    make_kiosk: MakeKiosk, watch: Watch, broker: LocalMosquitto
) -> None:
    sim = make_kiosk(reconnect_min_s=0.2, reconnect_max_s=0.5)
    kiosk_id = sim.kiosk.settings.kiosk_id
    broker.stop()
    sim.start()
    press(sim, 3)
    assert sim.kiosk.outbox.stats().last_seq == 3  # every press stored and thanked, offline
    assert not sim.kiosk.link.online
    assert sim.kiosk.link.stats.last_error
    broker.start()
    watcher = watch(kiosk_id, TopicKind.RATING)
    assert wait_for(lambda: seqs(watcher) == [1, 2, 3], timeout=10)


def test_cooldown_presses_are_not_published_but_counted_in_the_heartbeat(make_kiosk: MakeKiosk, watch: Watch) -> None:
    sim = make_kiosk(cooldown_s=30)
    kiosk_id = sim.kiosk.settings.kiosk_id
    watcher = watch(kiosk_id)
    sim.start()
    assert wait_for(lambda: watcher.on(TopicKind.HEARTBEAT))
    sim.citizen(Face.NEGATIVE, reason=0, mash=4)  # an angry citizen: red, a reason, then red four more times
    sim.press(Face.POSITIVE)
    assert sim.kiosk.flow.ignored_presses == 5
    sim.kiosk.link.request_heartbeat()
    assert wait_for(lambda: watcher.on(TopicKind.HEARTBEAT)[-1].json()["ignored_presses"] == 5)
    ratings = [m.json() for m in watcher.on(TopicKind.RATING)]
    assert [(r["face"], r["reason"]) for r in ratings] == [("negative", "waiting-time")]


def test_remote_config_is_applied_and_a_bad_one_reported(
    make_kiosk: MakeKiosk, watch: Watch, broker: LocalMosquitto
) -> None:
    sim = make_kiosk()
    kiosk_id = sim.kiosk.settings.kiosk_id
    good = KioskConfig(revision=2, service_point="moved-sportello", cooldown_s=0)
    publish(broker.port, kiosk_id, TopicKind.CONFIG, encode(good))
    watcher = watch(kiosk_id, TopicKind.HEARTBEAT, TopicKind.RATING)
    sim.start()
    assert wait_for(lambda: any(m.json().get("config_revision") == 2 for m in watcher.on(TopicKind.HEARTBEAT)))
    sim.press(Face.POSITIVE)
    assert wait_for(lambda: watcher.on(TopicKind.RATING))
    assert watcher.on(TopicKind.RATING)[0].json()["service_point"] == "moved-sportello"
    hostile = json.dumps({"revision": 3, "service_point": "x", "cooldown_s": 1e9, "extra": "\x1b[2J"}).encode()
    publish(broker.port, kiosk_id, TopicKind.CONFIG, hostile)
    assert wait_for(lambda: watcher.on(TopicKind.HEARTBEAT)[-1].json().get("config_error"))
    last = watcher.on(TopicKind.HEARTBEAT)[-1].json()
    assert last["config_revision"] == 2
    assert "cooldown_s" in last["config_error"]
    assert "extra" in last["config_error"]
    assert sim.kiosk.link.online
    assert sim.kiosk.link.alive
    sim.press(Face.NEUTRAL)
    assert wait_for(lambda: len(watcher.on(TopicKind.RATING)) == 2)
    assert watcher.on(TopicKind.RATING)[1].json()["service_point"] == "moved-sportello"


def test_heartbeat_interval(make_kiosk: MakeKiosk, watch: Watch) -> None:
    sim = make_kiosk(heartbeat_interval_s=1)
    watcher = watch(sim.kiosk.settings.kiosk_id, TopicKind.HEARTBEAT)
    sim.start()
    assert wait_for(lambda: len(watcher.messages) >= 3, timeout=5)
    boot_ids = {m.json()["clock"]["boot_id"] for m in watcher.messages}
    assert boot_ids == {str(sim.kiosk.clock.boot_id)}
    uptimes = [m.json()["clock"]["uptime_ms"] for m in watcher.messages]
    assert uptimes == sorted(uptimes)
    assert uuid.UUID(next(iter(boot_ids)))


def test_a_failure_inside_the_link_costs_a_reconnect_not_the_kiosk(make_kiosk: MakeKiosk, watch: Watch) -> None:
    sim = make_kiosk(reconnect_min_s=0.1, reconnect_max_s=0.2)
    kiosk_id = sim.kiosk.settings.kiosk_id
    watcher = watch(kiosk_id, TopicKind.RATING)
    real = sim.kiosk.link._heartbeat
    failures = iter([True, False])

    def flaky_heartbeat() -> Heartbeat:
        if next(failures, False):
            raise OSError("disk I/O error")
        return real()

    sim.kiosk.link._heartbeat = flaky_heartbeat
    press(sim, 2)
    sim.start()
    assert wait_for(lambda: seqs(watcher) == [1, 2], timeout=10)
    assert sim.kiosk.link.alive
    assert sim.kiosk.link.stats.connections == 2


def test_a_simulator_can_compress_time_past_a_remote_cooldown(
    tmp_path: Path, broker: LocalMosquitto, watch: Watch
) -> None:
    """`mlf-sim press`: every press another citizen, even when the collector configures a cooldown."""
    kiosk_id = "test-compressed"
    publish(broker.port, kiosk_id, TopicKind.CONFIG, encode(KioskConfig(revision=1, service_point="sp", cooldown_s=3)))
    sim = SimulatedButtonKiosk(
        ButtonKioskSettings(**kiosk_options(tmp_path, broker.port, kiosk_id=kiosk_id)), cooldown_override=0
    )
    try:
        watcher = watch(kiosk_id, TopicKind.HEARTBEAT)
        sim.start()
        assert wait_for(lambda: any(m.json().get("config_revision") == 1 for m in watcher.messages))
        press(sim, 5)
        assert sim.kiosk.outbox.stats().last_seq == 5
        assert sim.kiosk.flow.ignored_presses == 0
    finally:
        sim.stop()
