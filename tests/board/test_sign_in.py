"""Signing in to the board: the cookie's flags, sessions kept only as hashes and ended server-side, revoked
keys, one-time links, cross-site posts, redirects that stay home, headers, and the language chosen."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from fastapi.testclient import TestClient

from collector.api.app import create_app
from tests.fixtures.fix_api import api_settings, make_key
from tests.fixtures.fix_board import Board, sign_in_link


def session_cookie(board: Board) -> str:
    value = board.client.cookies.get("mlf_board_session")
    assert value
    return value


def test_the_cookie_is_http_only_strict_scoped_and_expiring(board: Board) -> None:
    response = board.client.post("/board/sign-in", data={"key": board.reader}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/board"
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Path=/board" in cookie
    assert "expires=" in cookie
    assert "Secure" not in cookie  # plain HTTP here: a Secure cookie would never come back
    assert board.reader not in cookie


def test_over_https_the_cookie_is_secure(board_db: str) -> None:
    with TestClient(create_app(api_settings(board_db)), base_url="https://board.example") as client:
        token = make_key(board_db, "reader")
        response = client.post("/board/sign-in", data={"key": token}, follow_redirects=False)
        assert "Secure" in response.headers["set-cookie"]


def test_only_a_hash_of_the_session_is_stored_and_sign_out_ends_it(board: Board) -> None:
    board.signed_in(board.reader)
    value = session_cookie(board)
    with psycopg.connect(board.database_url) as conn:
        stored = [bytes(r[0]) for r in conn.execute("SELECT token_sha256 FROM board_sessions").fetchall()]
    assert hashlib.sha256(value.encode()).digest() in stored
    assert not any(value.encode() in s for s in stored)
    assert board.client.get("/board?format=json").status_code == 200
    out = board.client.post("/board/sign-out", follow_redirects=False)
    assert out.status_code == 303
    assert out.headers["location"] == "/board/sign-in?notice=signed-out"
    assert 'mlf_board_session=""' in out.headers["set-cookie"]
    board.client.cookies.set("mlf_board_session", value, path="/board")  # a copy kept by someone
    assert board.client.get("/board?format=json").status_code == 401


def test_revoking_the_key_ends_its_sessions(board: Board) -> None:
    token = make_key(board.database_url, "reader", name="to revoke")
    board.signed_in(token)
    assert board.client.get("/board/fleet?format=json").status_code == 200
    revoked = board.client.delete(f"/v1/keys/{token.split('_')[1]}", headers={"Authorization": f"Bearer {board.admin}"})
    assert revoked.status_code == 204
    assert board.client.get("/board/fleet?format=json").status_code == 401
    page = board.client.get("/board/fleet", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"].endswith("&notice=expired")


def test_an_expired_session_is_refused(board: Board) -> None:
    board.signed_in(board.reader)
    digest = hashlib.sha256(session_cookie(board).encode()).digest()
    with psycopg.connect(board.database_url, autocommit=True) as conn:
        conn.execute("UPDATE board_sessions SET expires_at = now() WHERE token_sha256 = %s", (digest,))
    assert board.client.get("/board?format=json").status_code == 401


@pytest.mark.parametrize("role", ["ingest"])
def test_keys_that_may_not_read_cannot_sign_in(board: Board, role: str) -> None:
    token = make_key(board.database_url, role)
    board.client.cookies.clear()
    response = board.client.post("/board/sign-in", data={"key": token}, follow_redirects=False)
    assert response.status_code == 401
    assert "mlf_board_session" not in response.headers.get("set-cookie", "")
    assert "non è di lettura o di amministrazione" in response.text  # Italian first


def test_the_one_time_link_works_once_and_leaves_a_clean_url(board: Board) -> None:
    board.client.cookies.clear()
    link = sign_in_link(board.database_url, board.reader)
    first = board.client.get(f"/board/sign-in?link={link}", follow_redirects=False)
    assert first.status_code == 303
    assert first.headers["location"] == "/board"
    assert "mlf_board_session=" in first.headers["set-cookie"]
    assert board.client.get("/board?format=json").status_code == 200
    board.client.cookies.clear()
    again = board.client.get(f"/board/sign-in?link={link}", follow_redirects=False)
    assert again.status_code == 400
    assert "set-cookie" not in again.headers


def test_an_expired_link_is_dead(board: Board) -> None:
    link = sign_in_link(board.database_url, board.reader, minutes=1)
    with psycopg.connect(board.database_url, autocommit=True) as conn:
        conn.execute(
            "UPDATE board_sign_in_links SET expires_at = %s WHERE token_sha256 = %s",
            (datetime.now(UTC) - timedelta(seconds=1), hashlib.sha256(link.encode()).digest()),
        )
    assert board.client.get(f"/board/sign-in?link={link}", follow_redirects=False).status_code == 400


def test_a_cross_site_post_is_refused(board: Board) -> None:
    headers = {"Origin": "https://elsewhere.example", "Sec-Fetch-Site": "cross-site"}
    response = board.client.post("/board/sign-in", data={"key": board.reader}, headers=headers, follow_redirects=False)
    assert response.status_code == 403
    assert "set-cookie" not in response.headers


@pytest.mark.parametrize("target", ["https://elsewhere.example/board", "//elsewhere.example/board", "/v1/keys"])
def test_after_sign_in_the_browser_stays_on_the_board(board: Board, target: str) -> None:
    response = board.client.post("/board/sign-in", data={"key": board.reader, "next": target}, follow_redirects=False)
    assert response.headers["location"] == "/board"
    kept = board.client.post(
        "/board/sign-in", data={"key": board.reader, "next": "/board/fleet?org=comune"}, follow_redirects=False
    )
    assert kept.headers["location"] == "/board/fleet?org=comune"


def test_pages_carry_a_strict_policy_and_are_never_cached(board: Board) -> None:
    board.signed_in(board.reader)
    page = board.client.get("/board")
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["x-frame-options"] == "DENY"
    assert "http://" not in page.text.replace("http://www.w3.org/2000/svg", "")  # nothing from elsewhere
    assert board.client.get("/board/static/board.css").headers["content-type"].startswith("text/css")
    assert board.client.get("/board/static/face-negative.svg").text.startswith("<svg")
    assert board.client.get("/board/static/nothing.js").status_code == 404


def test_the_language_follows_the_choice_then_the_browser_then_italian(board: Board) -> None:
    board.signed_in(board.reader)
    assert "Sportelli" in board.client.get("/board").text
    assert "Service points" in board.client.get("/board", headers={"Accept-Language": "en-GB,en;q=0.9"}).text
    assert "Guichets" in board.client.get("/board", headers={"Accept-Language": "fr"}).text
    chosen = board.client.get("/board/language/de?next=/board/fleet", follow_redirects=False)
    assert chosen.headers["location"] == "/board/fleet"
    assert "Terminals" in board.client.get("/board/fleet", headers={"Accept-Language": "en"}).text


def test_bad_filters_get_a_page_that_says_so(board: Board) -> None:
    board.signed_in(board.reader)
    page = board.client.get("/board?period=custom&from=2026-05-01&until=2026-04-01")
    assert page.status_code == 422
    assert "Controlli i filtri" in page.text
    assert board.client.get("/board?site=NOT%20A%20SLUG").status_code == 422
    assert board.client.get("/board/service-points/nowhere").status_code == 404
    assert (
        board.client.get("/board?period=custom&from=2026-05-01&until=2026-04-01&format=json")
        .headers["content-type"]
        .startswith("application/problem+json")
    )


def test_the_operator_makes_a_link_from_the_command_line(board: Board) -> None:
    from tests.api.test_admin_cli import admin

    key_id = board.reader.split("_")[1]
    done = admin(board.database_url, "key", "sign-in-link", key_id, "--base-url", "https://board.example/")
    assert done.returncode == 0, done.stderr
    url = done.stdout.splitlines()[-1]
    assert url.startswith("https://board.example/board/sign-in?link=")
    assert board.reader.split("_")[2] not in url
    board.client.cookies.clear()
    assert board.client.get(url.removeprefix("https://board.example"), follow_redirects=False).status_code == 303
    ingest = make_key(board.database_url, "ingest").split("_")[1]
    refused = admin(board.database_url, "key", "sign-in-link", ingest)
    assert refused.returncode != 0
    assert "no active reader or admin key" in refused.stderr


def test_the_readmes_link_command_runs_as_written(board: Board) -> None:
    import os
    import re
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    block = re.search(
        r"<!-- BEGIN board-link.*?-->\n```sh\n(.*?)```\n<!-- END board-link -->", (root / "README.md").read_text(), re.S
    )
    assert block, "the README lost its board-link block"
    script = block.group(1).replace("KEY=mlf_...", f"KEY={board.reader}")
    script = script.replace("postgresql://mlf@127.0.0.1:15432/mlf", board.database_url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("COLLECTOR_")}
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=root, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    link = done.stdout.splitlines()[-1]
    assert link.startswith("http://127.0.0.1:8000/board/sign-in?link=")
    board.client.cookies.clear()
    assert board.client.get(link.removeprefix("http://127.0.0.1:8000"), follow_redirects=False).status_code == 303
