"""A kiosk rates only the service point the registry assigns to it, and only the services offered there.

Kiosk A's rating naming service point B was once stored under B's counter (issue 10): admission checked
only the organisation. Anything else is now quarantined as `identity_mismatch`, and counts as accounted
for in the kiosk's watermark (resending it would not help).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from protocol.messages import NIL_INSTANCE
from tests.fixtures.kiosk_messages import heartbeat, inbound, rating, write

Conn = psycopg.Connection[tuple[object, ...]]
AT = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)


def quarantine(conn: Conn) -> list[tuple[Any, ...]]:
    return conn.execute("SELECT reason, kiosk_id, seq, detail FROM quarantine ORDER BY kiosk_id, seq").fetchall()


def counts(conn: Conn) -> dict[Any, Any]:
    return {sp: n for sp, n in conn.execute("SELECT service_point_id, count(*) FROM ratings GROUP BY 1")}


def r(kiosk: str, seq: int, service_point: str, **kw: Any) -> Any:
    return inbound("org", rating(kiosk, seq, service_point=service_point, pressed_at=AT + timedelta(seconds=seq), **kw))


def test_a_kiosk_naming_another_service_point_is_quarantined(db: Conn) -> None:
    write(db, [r("ka", 1, "sp-a"), r("kb", 1, "sp-b")])  # registered by their first ratings
    result = write(db, [r("ka", 2, "sp-b"), r("ka", 3, "sp-a")])
    assert (result.stored, result.quarantined) == (1, {"identity_mismatch": 1})
    assert counts(db) == {"sp-a": 2, "sp-b": 1}
    reason, kiosk, seq, detail = quarantine(db)[0]
    assert (reason, kiosk, seq) == ("identity_mismatch", "ka", 2)
    assert detail == "kiosk 'ka' rates service point 'sp-a', not 'sp-b'"
    assert result.watermarks[("ka", NIL_INSTANCE)] == ("org", 3), "the refused rating counts as accounted for"


def test_auto_registration_assigns_the_first_service_point_and_holds_the_kiosk_to_it(db: Conn) -> None:
    result = write(db, [r("kn", 1, "sp-1"), r("kn", 2, "sp-2"), r("kn", 3, "sp-1")])
    assert (result.stored, result.quarantined) == (2, {"identity_mismatch": 1})
    assert db.execute("SELECT service_point_id FROM kiosks WHERE id = 'kn'").fetchone() == ("sp-1",)
    assert counts(db) == {"sp-1": 2}
    again = write(db, [r("kn", 4, "sp-2")])
    assert again.quarantined == {"identity_mismatch": 1}


def test_a_kiosk_first_heard_by_heartbeat_gets_the_service_point_of_its_first_rating(db: Conn) -> None:
    write(db, [inbound("org", heartbeat("kh", rating("kh").clock.boot_id, 5000))])
    assert db.execute("SELECT service_point_id FROM kiosks WHERE id = 'kh'").fetchone() == (None,)
    assert write(db, [r("kh", 1, "sp-h")]).stored == 1
    assert db.execute("SELECT service_point_id FROM kiosks WHERE id = 'kh'").fetchone() == ("sp-h",)
    assert write(db, [r("kh", 2, "sp-x")]).quarantined == {"identity_mismatch": 1}


def test_a_kiosk_first_heard_by_heartbeat_takes_a_known_service_point_with_its_first_rating(db: Conn) -> None:
    """Its first rating names a service point already registered: nothing else in the batch is new, and the
    kiosk is still held to that service point."""
    write(db, [r("ko", 1, "sp-k"), inbound("org", heartbeat("kh", rating("kh").clock.boot_id, 5000))])
    assert write(db, [r("kh", 1, "sp-k")]).stored == 1
    assert db.execute("SELECT service_point_id FROM kiosks WHERE id = 'kh'").fetchone() == ("sp-k",)
    assert write(db, [r("kh", 2, "sp-x")]).quarantined == {"identity_mismatch": 1}


def test_without_auto_registration_a_kiosk_without_a_service_point_rates_nothing(db: Conn) -> None:
    write(db, [inbound("org", heartbeat("kh", rating("kh").clock.boot_id, 5000)), r("ko", 1, "sp-o")])
    result = write(db, [r("kh", 1, "sp-o")], auto_register=False)
    assert result.quarantined == {"identity_mismatch": 1}
    assert quarantine(db)[0][3] == "kiosk 'kh' has no service point assigned"


def test_only_the_services_offered_at_the_kiosk_are_admitted(db: Conn) -> None:
    write(db, [r("ks", 1, "sp-s", service="anagrafe"), r("kt", 1, "sp-t", service="tributi")])
    db.execute("INSERT INTO kiosk_settings (kiosk_id, services) VALUES ('ks', '{anagrafe,carta-identita}')")
    result = write(
        db,
        [
            r("ks", 2, "sp-s", service="carta-identita"),
            r("ks", 3, "sp-s"),  # no service chosen: allowed
            r("ks", 4, "sp-s", service="tributi"),  # a service of the organisation, not offered at this kiosk
        ],
    )
    assert (result.stored, result.quarantined) == (2, {"identity_mismatch": 1})
    assert quarantine(db)[0][1:4] == ("ks", 4, "service 'tributi' is not offered at kiosk 'ks'")
    # A kiosk without a list of services may name any service of its organisation (auto-registered or known).
    assert write(db, [r("kt", 2, "sp-t", service="anagrafe")]).stored == 1
