"""Fleet status: online, last seen, outbox depth, open gaps, clock skew, config revision in use."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import psycopg

from collector.ingest import Inbound, sort_batch
from collector.store.writes import WriteOptions, write_batch
from protocol import Heartbeat, KioskClock, Status, TopicKind, build_topic, encode
from tests.api.known_data import many, store
from tests.fixtures.fix_api import Api


def test_fleet_reports_what_kiosks_told_us(api: Api) -> None:
    store(api.database_url, many(datetime.now(UTC) - timedelta(hours=1), {"positive": 3}, kiosk="k-1"))
    received = datetime.now(UTC) - timedelta(seconds=30)
    heartbeat = Heartbeat(
        kiosk_id="k-1",
        sent_at=received + timedelta(milliseconds=1500),  # the kiosk's clock runs 1.5 s ahead
        clock=KioskClock(boot_id=uuid.uuid4(), uptime_ms=10_000, synced=True),
        software_version="0.1.0",
        last_seq=9,
        outbox_depth=4,
        oldest_pending_age_s=12.5,
        ignored_presses=2,
        config_revision=3,
        config_error="services: too many",
    )
    messages = [
        Inbound(build_topic("org", "k-1", TopicKind.HEARTBEAT), encode(heartbeat), received),
        Inbound(build_topic("org", "k-1", TopicKind.STATUS), encode(Status(state="online")), received),
    ]
    with psycopg.connect(api.database_url) as conn:
        write_batch(conn, sort_batch(messages), WriteOptions())
        conn.execute("INSERT INTO sequence_gaps (kiosk_id, first_seq, last_seq) VALUES ('k-1', 5, 7), ('k-1', 9, 9)")
        conn.execute("INSERT INTO sequence_gaps (kiosk_id, first_seq, last_seq, closed_at) VALUES ('k-1', 1, 1, now())")
        conn.commit()
    (kiosk,) = api.get("/v1/kiosks", api.reader, org="org")
    assert kiosk["id"] == "k-1"
    assert kiosk["online"] is True
    assert kiosk["outbox_depth"] == 4
    assert kiosk["oldest_pending_age_s"] == 12.5
    assert kiosk["last_seq"] == 9
    assert kiosk["open_gaps"] == 2
    assert kiosk["missing_ratings"] == 4
    assert kiosk["clock_skew_ms"] == 1500
    assert kiosk["config_revision_in_use"] == 3
    assert kiosk["config_error"] == "services: too many"
    assert kiosk["software_version"] == "0.1.0"
    assert 25 < kiosk["silent_for_s"] < 600
    assert api.get("/v1/kiosks", api.reader, service_point="sp-1")[0]["id"] == "k-1"
    assert api.get("/v1/kiosks", api.reader, service_point="elsewhere") == []
