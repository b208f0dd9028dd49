"""Failed board sign-ins count with failed API keys, per address, in the database every collector process
shares: a pasted key that is wrong or may not read, and a dead one-time link, through one process are counted
by another and after a restart; past the limit the page says so in the reader's language (429, `Retry-After`),
even to a valid key from that address, while other addresses sign in. Sign-ins at once through two real
processes: tests/api/test_auth_failure_limits.py."""

from __future__ import annotations

from typing import Any

import psycopg
from fastapi.testclient import TestClient

from collector.api.app import create_app
from tests.api.test_auth_failure_limits import rows
from tests.fixtures.fix_api import api_settings, make_key
from tests.fixtures.fix_board import sign_in_link

HERE = ("192.0.2.1", 50000)


def app_on(database_url: str, client: tuple[str, int] = HERE) -> TestClient:
    """One collector (its own app: nothing shared with another but the database), as seen by `client`."""
    settings = api_settings(database_url, auth_failure_limit="3/minute")
    return TestClient(create_app(settings), client=client, follow_redirects=False)


def sign_in(app: TestClient, key: str, **headers: str) -> Any:
    return app.post("/board/sign-in", data={"key": key, "next": "/board"}, headers=headers)


def failures(db: psycopg.Connection[Any]) -> int:
    return rows(db, "kind = 'authentication' AND failed")


def test_failed_sign_ins_count_in_every_process_and_after_a_restart(
    database_url: str, db: psycopg.Connection[Any]
) -> None:
    reader, ingest = make_key(database_url, "reader"), make_key(database_url, "ingest")
    with app_on(database_url) as one, app_on(database_url) as two:
        assert sign_in(one, "mlf_nonsense").status_code == 401
        assert two.get("/board/sign-in", params={"link": "x" * 43}).status_code == 400  # a dead link
        assert sign_in(two, ingest).status_code == 401  # a key that may not read the board
        stopped = sign_in(one, reader)  # a valid key, from an address that spent its failures
        assert stopped.status_code == 429
        assert 55 <= int(stopped.headers["Retry-After"]) <= 60
        assert "Troppi accessi non riusciti da questo indirizzo" in stopped.text  # Italian first
        english = sign_in(two, reader, **{"Accept-Language": "en"})
        assert english.status_code == 429
        assert "Too many failed sign-ins from this address. Try again in" in english.text
        link = sign_in_link(database_url, reader)
        assert one.get("/board/sign-in", params={"link": link}).status_code == 429  # a live link waits too
        elsewhere = TestClient(two.app, client=("192.0.2.2", 50000), follow_redirects=False)
        assert sign_in(elsewhere, reader).status_code == 303
        assert elsewhere.get("/board/sign-in", params={"link": link}).status_code == 303  # not used up above
    assert failures(db) == 3
    with app_on(database_url) as restarted:
        assert sign_in(restarted, reader).status_code == 429  # a restart forgets nothing
        api = restarted.get("/v1/organisations", headers={"Authorization": f"Bearer {reader}"})
        assert api.status_code == 429  # the API and the board count the same failures
        db.execute("UPDATE limited_attempts SET at = at - interval '61 seconds'")  # the window moves on
        assert sign_in(restarted, reader).status_code == 303
    assert failures(db) == 3


def test_a_sign_in_that_works_leaves_no_row(database_url: str, db: psycopg.Connection[Any]) -> None:
    reader = make_key(database_url, "reader")
    with app_on(database_url) as app:
        assert sign_in(app, reader).status_code == 303
        assert app.get("/board/sign-in", params={"link": sign_in_link(database_url, reader)}).status_code == 303
    assert rows(db) == 0
