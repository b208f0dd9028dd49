"""Kiosk credentials and config against a real mosquitto with password_file + acl_file, reloaded by SIGHUP.

A kiosk registered through the API can publish its ratings at once; a wrong password is refused; it
cannot publish on another kiosk's topics (MQTT v5 tells it so) nor read their config; its retained
config arrives, and a new revision follows a change of the reasons catalogue.
"""

from __future__ import annotations

from devstack.mosquitto import LocalMosquitto
from protocol import TopicKind, build_topic, encode
from protocol.codec import decode_as
from protocol.messages import KioskConfig
from tests.fixtures.fix_collector import CollectorProcess
from tests.fixtures.fix_secured import KioskClient, call, kiosk_rating
from tests.waiting import wait_for


def test_registered_kiosk_is_admitted_confined_and_configured(
    secured_broker: LocalMosquitto, secured_collector: CollectorProcess
) -> None:
    proc = secured_collector
    call(proc, "POST", "/v1/organisations", {"id": "roma", "name": "Roma Capitale"})
    call(proc, "POST", "/v1/organisations/roma/service-points", {"id": "roma-sp-1", "name": "Sportello 1"})
    call(proc, "POST", "/v1/organisations/roma/service-points", {"id": "roma-sp-2", "name": "Sportello 2"})
    first = call(proc, "POST", "/v1/kiosks", {"id": "roma-k1", "service_point": "roma-sp-1"})
    call(proc, "POST", "/v1/kiosks", {"id": "roma-k2", "service_point": "roma-sp-2"})
    password = first["mqtt"]["password"]
    assert first["provisioned"] is True
    assert first["mqtt"]["topics"]["rating"] == "mlf/v1/roma/roma-k1/rating"
    assert password not in (secured_broker.workdir / "passwd").read_text()

    wrong = KioskClient(secured_broker.port, "roma-k1", "not-the-password")
    assert wrong.connected.wait(10)
    assert wrong.connect_reason.is_failure
    wrong.stop()

    kiosk = KioskClient(secured_broker.port, "roma-k1", password)
    assert kiosk.connected.wait(10)
    assert not kiosk.connect_reason.is_failure, kiosk.connect_reason
    kiosk.client.subscribe(
        [(build_topic("roma", "roma-k1", TopicKind.CONFIG), 1), (build_topic("roma", "roma-k2", TopicKind.CONFIG), 1)]
    )
    assert wait_for(lambda: len(kiosk.suback) == 2, timeout=10)
    assert not kiosk.suback[0].is_failure  # mosquitto grants the other one too, but never delivers on it

    own = kiosk.client.publish(
        build_topic("roma", "roma-k1", TopicKind.RATING), encode(kiosk_rating("roma-k1", "roma-sp-1", 1)), 1
    )
    forged = kiosk_rating("roma-k2", "roma-sp-2", 1)
    other = kiosk.client.publish(build_topic("roma", "roma-k2", TopicKind.RATING), encode(forged), 1)
    assert wait_for(lambda: own.mid in kiosk.puback and other.mid in kiosk.puback, timeout=10)
    assert not kiosk.puback[own.mid].is_failure
    assert kiosk.puback[other.mid].is_failure  # MQTT v5: the broker says "not authorized"
    for kind in (TopicKind.CONFIG, TopicKind.ACK):  # only the collector writes collector topics, ours too
        forged_back = kiosk.client.publish(build_topic("roma", "roma-k1", kind), b'{"seq": 999999}', 1, retain=True)
        mid: int = forged_back.mid
        assert wait_for(lambda: mid in kiosk.puback, timeout=10)  # noqa: B023 - waited for at once
        assert kiosk.puback[forged_back.mid].is_failure, kind
    summary = "/v1/service-points/roma-sp-1/summary?from=2020-01-01&to=2100-01-01"
    assert wait_for(lambda: proc.get(summary)["total"] == 1, timeout=15)
    assert proc.get("/v1/service-points/roma-sp-2/summary?from=2020-01-01&to=2100-01-01")["total"] == 0

    def configs() -> list[KioskConfig]:
        return [decode_as(KioskConfig, bytes(m.payload)) for m in kiosk.messages if m.topic.endswith("/config")]

    assert wait_for(configs, timeout=10)
    config = configs()[-1]
    assert config.service_point == "roma-sp-1"
    assert [r.code for r in config.reasons] == [
        "waiting-time",
        "staff-courtesy",
        "information-clarity",
        "must-come-back",
    ]
    assert config.reasons[0].labels == {"it": "Tempo di attesa", "en": "Waiting time"}
    call(
        proc,
        "PUT",
        "/v1/organisations/roma/reasons",
        {"reasons": [{"code": "queue", "label_it": "Coda", "label_en": "Queue"}]},
    )
    assert wait_for(lambda: configs()[-1].revision == config.revision + 1, timeout=15)
    assert [r.code for r in configs()[-1].reasons] == ["queue"]
    assert {m.topic for m in kiosk.messages} == {build_topic("roma", "roma-k1", TopicKind.CONFIG)}
    assert all(b"999999" not in m.payload for m in kiosk.messages)  # the forged config never reached anyone
    call(proc, "POST", "/v1/organisations/roma/services", {"id": "tributi", "name": "Tributi", "name_en": "Taxes"})
    changed = call(proc, "PUT", "/v1/kiosks/roma-k1/settings", {"services": ["tributi"], "cooldown_s": 5})
    assert changed["config_revision"] == config.revision + 2
    assert wait_for(lambda: configs()[-1].revision == config.revision + 2, timeout=15)
    assert [(o.id, o.labels) for o in configs()[-1].services] == [("tributi", {"it": "Tributi", "en": "Taxes"})]
    assert configs()[-1].cooldown_s == 5

    rotated = call(proc, "POST", "/v1/kiosks/roma-k1/credentials", {})
    kiosk.stop()
    old = KioskClient(secured_broker.port, "roma-k1", password)
    assert old.connected.wait(10)
    assert old.connect_reason.is_failure
    old.stop()
    new = KioskClient(secured_broker.port, "roma-k1", rotated["mqtt"]["password"])
    assert new.connected.wait(10)
    assert not new.connect_reason.is_failure
    new.stop()
    status = {k["id"]: k for k in proc.get("/v1/kiosks")}
    assert status["roma-k1"]["config_revision"] == config.revision + 2
    assert status["roma-k1"]["acked_seq"] == 1
