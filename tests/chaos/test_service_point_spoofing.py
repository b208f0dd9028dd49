"""Service-point spoofing over a real broker (issue 10): kiosk A's rating naming B's service point was
stored under B's counter. Now it is quarantined as an identity mismatch, and so is a service its kiosk
does not offer, while A's own ratings go on being stored and acknowledged."""

from __future__ import annotations

import psycopg

from devstack.mosquitto import LocalMosquitto
from protocol import TopicKind, build_topic, encode
from tests.fixtures.fix_collector import CollectorProcess
from tests.fixtures.fix_secured import KioskClient, call, connected, kiosk_rating, publish_all, register_kiosk
from tests.waiting import wait_for

SUMMARY = "/v1/service-points/{}/summary?from=2020-01-01&to=2100-01-01"


def test_a_kiosk_rates_only_its_own_service_point_and_the_services_offered_there(
    secured_broker: LocalMosquitto, secured_collector: CollectorProcess, database_url: str
) -> None:
    proc = secured_collector
    password = register_kiosk(proc, "roma", "roma-sp-1", "roma-k1")
    register_kiosk(proc, "roma", "roma-sp-2", "roma-k2")
    for service in ("anagrafe", "tributi"):
        call(proc, "POST", "/v1/organisations/roma/services", {"id": service, "name": service.title()})
    call(proc, "PUT", "/v1/kiosks/roma-k1/settings", {"services": ["anagrafe"]})
    kiosk = connected(KioskClient(secured_broker.port, "roma-k1", password))
    try:
        topic = build_topic("roma", "roma-k1", TopicKind.RATING)
        spoofed = kiosk_rating("roma-k1", "roma-sp-2", 1)
        not_offered = kiosk_rating("roma-k1", "roma-sp-1", 2).model_copy(update={"service": "tributi"})
        for message in (spoofed, not_offered):
            kiosk.client.publish(topic, encode(message), 1).wait_for_publish(10)
        publish_all(kiosk, "roma", "roma-sp-1", "roma-k1", range(3, 5))
    finally:
        kiosk.stop()
    assert wait_for(lambda: proc.get(SUMMARY.format("roma-sp-1"))["total"] == 2, timeout=15)
    assert proc.get(SUMMARY.format("roma-sp-2"))["total"] == 0, "kiosk A's rating landed on B's counter"
    with psycopg.connect(database_url) as conn:
        refused = conn.execute("SELECT reason, seq, detail FROM quarantine ORDER BY seq").fetchall()
    assert refused == [
        ("identity_mismatch", 1, "kiosk 'roma-k1' rates service point 'roma-sp-1', not 'roma-sp-2'"),
        ("identity_mismatch", 2, "service 'tributi' is not offered at kiosk 'roma-k1'"),
    ]
    kiosks = {k["id"]: k for k in proc.get("/v1/kiosks?org=roma")}
    assert kiosks["roma-k1"]["acked_seq"] == 4, "refused ratings count as accounted for: no resends, no gap"
