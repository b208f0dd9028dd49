"""Client-id takeover, tried against mosquitto set up as deploy/mosquitto ships it (issue 10).

mosquitto hands a client id to the newest connection that asks for it. Before the broker bound client ids
to user names, kiosk A asking for B's id cut B off, and a kiosk of another organisation asking for the
collector's id with a clean start wiped the collector's persistent session: the ratings the broker had
acknowledged and queued for it were never stored. Now each asks in vain: it gets its own user name.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import psycopg

from devstack.mosquitto import LocalMosquitto
from tests.fixtures.fix_collector import CollectorProcess
from tests.fixtures.fix_secured import KioskClient, connected, publish_all, register_kiosk
from tests.fixtures.prometheus import scrape
from tests.waiting import wait_for


def stored(database_url: str, kiosk: str) -> int:
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT count(*) FROM ratings WHERE kiosk_id = %s", (kiosk,)).fetchone()
    return int(row[0]) if row else 0


def test_a_kiosk_asking_for_another_kiosks_client_id_gets_its_own(
    secured_broker: LocalMosquitto, secured_collector: CollectorProcess, database_url: str
) -> None:
    password_a = register_kiosk(secured_collector, "roma", "roma-sp-1", "roma-k1")
    password_b = register_kiosk(secured_collector, "roma", "roma-sp-2", "roma-k2")
    b = connected(KioskClient(secured_broker.port, "roma-k2", password_b))
    a = connected(KioskClient(secured_broker.port, "roma-k1", password_a, client_id="roma-k2"))
    try:
        time.sleep(1)
        assert b.disconnects == [], "kiosk A took over kiosk B's connection"
        publish_all(b, "roma", "roma-sp-2", "roma-k2", range(1, 4))
        publish_all(a, "roma", "roma-sp-1", "roma-k1", range(1, 3))  # A is itself, under its own name
        assert wait_for(lambda: stored(database_url, "roma-k2") == 3, timeout=15)
        assert wait_for(lambda: stored(database_url, "roma-k1") == 2, timeout=15)
        assert b.disconnects == []
    finally:
        a.stop()
        b.stop()


def test_another_organisations_kiosk_cannot_take_the_collectors_session_nor_wipe_its_queue(
    secured_broker: LocalMosquitto,
    start_secured_collector: Callable[..., CollectorProcess],
    database_url: str,
) -> None:
    collector = start_secured_collector()
    roma = register_kiosk(collector, "roma", "roma-sp-1", "roma-k1")
    milano = register_kiosk(collector, "milano", "milano-sp-1", "milano-k1")

    # While the collector runs: the intruder asks for its client id and does not cut it off.
    intruder = connected(KioskClient(secured_broker.port, "milano-k1", milano, client_id="mlf-collector"))
    intruder.stop()
    time.sleep(1)
    assert scrape(collector.url, collector.token)["mlf_mqtt_connected"] == 1
    assert "connection lost" not in collector.log_text()

    # While the collector is away: 50 ratings wait in its session; the intruder asks for its id with a clean
    # start (which would discard that session), then the collector comes back and stores all 50.
    collector.stop()
    kiosk = connected(KioskClient(secured_broker.port, "roma-k1", roma))
    publish_all(kiosk, "roma", "roma-sp-1", "roma-k1", range(1, 51))
    kiosk.stop()
    intruder = connected(
        KioskClient(secured_broker.port, "milano-k1", milano, client_id="mlf-collector", clean_start=True)
    )
    intruder.stop()
    start_secured_collector()
    assert wait_for(lambda: stored(database_url, "roma-k1") == 50, timeout=30), (
        f"{stored(database_url, 'roma-k1')} of 50 queued ratings stored"
    )


def test_collectors_sharing_the_stream_each_log_in_as_their_own_user(
    secured_broker: LocalMosquitto,
    start_secured_collector: Callable[..., CollectorProcess],
    database_url: str,
) -> None:
    """docs/scaling.md: with client ids bound to user names, each collector of a share group has its own user."""
    first = start_secured_collector(COLLECTOR_MQTT_SHARE_GROUP="mlf")
    second = start_secured_collector(COLLECTOR_MQTT_SHARE_GROUP="mlf", COLLECTOR_MQTT_USERNAME="mlf-collector-2")
    password = register_kiosk(first, "roma", "roma-sp-1", "roma-k1")
    kiosk = connected(KioskClient(secured_broker.port, "roma-k1", password))
    try:
        publish_all(kiosk, "roma", "roma-sp-1", "roma-k1", range(1, 201))
    finally:
        kiosk.stop()
    assert wait_for(lambda: stored(database_url, "roma-k1") == 200, timeout=30)
    received = [
        scrape(c.url, c.token).get('mlf_ingest_messages_received_total{kind="rating"}', 0) for c in (first, second)
    ]
    assert sum(received) == 200
    assert min(received) > 0, f"one collector got everything: {received}"
    for proc in (first, second):
        assert "connection lost" not in proc.log_text(), "the two collectors cut each other off"
