"""Fleet status: online, last seen, outbox depth, open gaps, clock skew, config revision in use."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import psycopg

from collector.ingest.messages import Inbound, sort_batch
from collector.store import identity, kiosk_events
from collector.store.writes import WriteOptions, write_batch
from protocol import Heartbeat, KioskClock, Rating, Status, TopicKind, build_topic, encode
from tests.api.known_data import many, store
from tests.fixtures.fix_api import Api
from tests.fixtures.kiosk_messages import fleet


def rating_batch(kiosk: str, n: int, start: datetime) -> list[Rating]:
    """`n` ratings of one kiosk at service point sp-<suffix>, a minute apart."""
    ratings = fleet("org", 1, n, start, timedelta(minutes=1))
    point = "sp-" + kiosk.removeprefix("k-")
    return [r.model_copy(update={"kiosk_id": kiosk, "service_point": point}) for r in ratings]


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
    assert 12.5 + 30 <= kiosk["oldest_pending_age_s"] < 12.5 + 30 + 60  # as reported, aged since
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


def _beat(kiosk: str, instance: uuid.UUID, last_seq: int, depth: int, age: float | None) -> Heartbeat:
    return Heartbeat(
        kiosk_id=kiosk,
        instance=instance,
        sent_at=datetime.now(UTC),
        clock=KioskClock(boot_id=uuid.uuid4(), uptime_ms=10_000, synced=True),
        software_version="0.1.0",
        last_seq=last_seq,
        outbox_depth=depth,
        oldest_pending_age_s=age,
        ignored_presses=0,
    )


async def _events(
    database_url: str, read: Callable[..., Awaitable[list[kiosk_events.KioskEvent]]], *args: str
) -> list[kiosk_events.KioskEvent]:
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        return await read(conn, *args)


def _send(database_url: str, *messages: Heartbeat | Rating) -> None:
    kinds = {Heartbeat: TopicKind.HEARTBEAT, Rating: TopicKind.RATING}
    batch = [Inbound(build_topic("org", m.kiosk_id, kinds[type(m)]), encode(m), datetime.now(UTC)) for m in messages]
    with psycopg.connect(database_url) as conn:
        write_batch(conn, sort_batch(batch), WriteOptions())


def test_a_backlog_figure_is_cleared_once_the_watermark_covers_it(api: Api) -> None:
    """A kiosk that backfilled three months reported them pending; once they are stored, it has no backlog."""
    instance = uuid.uuid4()
    history = [
        r.model_copy(update={"instance": instance, "seq": i})
        for i, r in enumerate(rating_batch("k-back", 5, datetime.now(UTC) - timedelta(days=90)), start=1)
    ]
    _send(api.database_url, _beat("k-back", instance, last_seq=5, depth=5, age=90 * 86400.0))  # it says hello first
    _send(api.database_url, *history[:3])
    (kiosk,) = api.get("/v1/kiosks", api.reader, org="org")
    assert kiosk["outbox_depth"] == 2  # 3 of the 5 reported are stored already
    assert kiosk["oldest_pending_age_s"] >= 90 * 86400
    assert kiosk["instance"] == str(instance)
    assert kiosk["acked_seq"] == 3
    _send(api.database_url, *history[3:])
    (kiosk,) = api.get("/v1/kiosks", api.reader, org="org")
    assert (kiosk["outbox_depth"], kiosk["oldest_pending_age_s"], kiosk["acked_seq"]) == (0, None, 5)
    assert kiosk["service_point"] == "sp-back"
    assert kiosk["identity_conflict"] is None


def test_two_devices_behind_one_id_are_shown_with_since_and_instances(api: Api) -> None:
    one, two = uuid.uuid4(), uuid.uuid4()
    ratings = rating_batch("k-twin", 4, datetime.now(UTC) - timedelta(hours=1))
    _send(api.database_url, _beat("k-twin", one, 0, 0, None), ratings[0].model_copy(update={"instance": one}))
    _send(api.database_url, _beat("k-twin", two, 0, 0, None), ratings[1].model_copy(update={"instance": two, "seq": 1}))
    (kiosk,) = api.get("/v1/kiosks", api.reader, org="org")
    assert kiosk["identity_conflict"] is None  # a device replaced by another: no conflict
    _send(api.database_url, ratings[2].model_copy(update={"instance": one, "seq": 2}))  # the first speaks again
    (kiosk,) = api.get("/v1/kiosks", api.reader, org="org")
    conflict = kiosk["identity_conflict"]
    assert conflict["reason"] == "two_instances"
    assert {i["instance"] for i in conflict["instances"]} == {str(one), str(two)}
    assert {i["acked_seq"] for i in conflict["instances"]} == {2, 1}  # each instance counts its own
    assert datetime.fromisoformat(conflict["since"]) > datetime.now(UTC) - timedelta(minutes=5)
    assert kiosk["acked_seq"] == 2
    assert kiosk["instance"] == str(one)
    events = asyncio.run(_events(api.database_url, kiosk_events.of_kiosk, "k-twin"))
    assert [(e.kind, e.detail["reason"], sorted(e.detail["instances"])) for e in events] == [
        ("identity_conflict", "two_instances", sorted([str(one), str(two)]))
    ]
    with psycopg.connect(api.database_url) as conn:
        assert identity.clear(conn, "k-twin")
    undelivered = asyncio.run(_events(api.database_url, kiosk_events.undelivered))
    assert [e.kind for e in undelivered] == ["identity_conflict", "identity_conflict_cleared"]
    (kiosk,) = api.get("/v1/kiosks", api.reader, org="org")
    assert kiosk["identity_conflict"] is None
    _send(api.database_url, ratings[3].model_copy(update={"instance": one, "seq": 3}))
    (kiosk,) = api.get("/v1/kiosks", api.reader, org="org")
    assert kiosk["identity_conflict"] is None  # only the first has spoken since the operator cleared it
