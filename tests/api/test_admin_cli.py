"""`mlf-collector admin ...`: the operator's commands do what they say, and fail with one clear line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from protocol.enrolment import normalise
from tests.fixtures.fix_api import Api


def admin(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COLLECTOR_")}
    env["COLLECTOR_DATABASE_URL"] = database_url
    return subprocess.run(
        [sys.executable, "-m", "collector.main", "admin", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def ok(database_url: str, *args: str) -> str:
    done = admin(database_url, *args)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_first_admin_key_then_registry_from_the_command_line(api: Api) -> None:
    url = api.database_url
    token = ok(url, "key", "create", "--name", "operator", "--role", "admin").splitlines()[-1]
    assert token.startswith("mlf_")
    assert api.client.get("/v1/keys", headers=api.headers(token)).status_code == 200
    ok(url, "org", "create", "roma", "--name", "Roma Capitale")
    ok(url, "site", "create", "roma-centro", "--org", "roma", "--name", "Anagrafe centrale", "--region", "Centro")
    ok(
        url,
        "service",
        "create",
        "carta-identita",
        "--org",
        "roma",
        "--name",
        "Carta d'identità",
        "--name-en",
        "Identity card",
    )
    ok(url, "service-point", "create", "roma-sp-3", "--org", "roma", "--site", "roma-centro", "--name", "Sportello 3")
    out = ok(url, "kiosk", "create", "roma-k3", "--service-point", "roma-sp-3", "--service", "carta-identita")
    password = next(line for line in out.splitlines() if "password" in line).split()[-1]
    assert "KIOSK_KIOSK_ID=roma-k3 KIOSK_ORGANISATION=roma KIOSK_SERVICE_POINT=roma-sp-3" in out
    ok(
        url,
        "target",
        "set",
        "--org",
        "roma",
        "--service-point",
        "roma-sp-3",
        "--min-green",
        "0.85",
        "--max-red",
        "0.05",
    )
    ok(url, "target", "set", "--org", "roma", "--min-green", "0.8")
    targets = api.get("/v1/organisations/roma/targets", token)
    assert [(t["scope"], t["scope_id"], t["min_green_share"]) for t in targets] == [
        ("organisation", "", 0.8),
        ("service_point", "roma-sp-3", 0.85),
    ]
    assert [s["id"] for s in api.get("/v1/organisations/roma/sites", token)] == ["roma-centro"]
    assert next(r["code"] for r in api.get("/v1/organisations/roma/reasons", token)["reasons"]) == "waiting-time"
    with psycopg.connect(url) as conn:
        stored = conn.execute("SELECT password_hash FROM kiosk_credentials WHERE kiosk_id = 'roma-k3'").fetchone()
    assert stored is not None
    assert stored[0].startswith("$7$101$")
    assert password not in stored[0]
    listing = ok(url, "key", "list")
    assert "operator" in listing
    assert token.split("_", 2)[2] not in listing  # the secret whole: token_urlsafe may put "_" in it


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("org", "create", "Roma!", "--name", "x"), "not a valid identifier"),
        (("org", "create", "roma\n", "--name", "x"), "not a valid identifier"),
        (("org", "create", "x", "--name", "x", "--timezone", "Mars/Base"), "unknown time zone"),
        (("kiosk", "create", "k9", "--service-point", "nowhere"), "no service point 'nowhere'"),
        (("target", "set", "--org", "nobody"), "no organisation 'nobody'"),
        (("target", "set", "--org", "dup", "--min-green", "80"), "shares between 0 and 1"),
        (("org", "create", "dup", "--name", "again"), "organisation 'dup' already exists"),
        (("key", "create", "--name", "x", "--org", "nobody"), "no organisation 'nobody'"),
        (("key", "revoke", "aaaaaaaaaaaa"), "no active key"),
    ],
)
def test_clear_errors(api: Api, args: tuple[str, ...], needle: str) -> None:
    ok(api.database_url, "org", "create", "dup", "--name", "Duplicate")
    done = admin(api.database_url, *args)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert needle in lines[0]


def test_create_if_missing_leaves_what_exists_and_conflicts_are_cleared_by_the_operator(api: Api) -> None:
    url = api.database_url
    for _ in range(2):  # the docs' example registration runs twice: the second time it changes nothing
        ok(url, "org", "create", "roma", "--name", "Roma Capitale", "--if-missing")
        ok(url, "service-point", "create", "roma-sp-1", "--org", "roma", "--name", "Sportello 1", "--if-missing")
        out = ok(url, "kiosk", "create", "roma-k1", "--service-point", "roma-sp-1", "--if-missing")
    assert out.strip() == "kiosk 'roma-k1' already exists: left as it is"
    assert admin(url, "org", "create", "roma", "--name", "Roma").returncode != 0  # without it: an error
    done = admin(url, "kiosk", "clear-conflict", "roma-k1")
    assert (done.returncode, done.stderr.strip()) == (
        2,
        "mlf-collector: error: kiosk 'roma-k1' has no identity conflict (or does not exist)",
    )
    with psycopg.connect(url) as conn:
        conn.execute("UPDATE kiosks SET identity_conflict_since = now(), identity_conflict_reason = 'two_instances'")
    assert "identity conflict of kiosk roma-k1 cleared" in ok(url, "kiosk", "clear-conflict", "roma-k1")
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT identity_conflict_since, identity_conflict_cleared_at IS NOT NULL FROM kiosks")
        assert row.fetchone() == (None, True)
        assert conn.execute("SELECT kind FROM kiosk_events").fetchall() == [("identity_conflict_cleared",)]


def test_enrolment_codes_from_the_command_line(api: Api, tmp_path: Path) -> None:
    """A code printed once with its QR (read back from the PNG), listed without it, used once, revoked."""
    from PIL import Image
    from pyzbar.pyzbar import decode

    url = api.database_url
    ok(url, "org", "create", "roma", "--name", "Roma Capitale")
    ok(url, "service-point", "create", "roma-sp", "--org", "roma", "--name", "Anagrafe")
    qr = tmp_path / "code.png"
    out = ok(url, "enrol-code", "create", "--service-point", "roma-sp", "--qr", str(qr),
             "--url", "https://feedback.comune.example/", "--note", "Pi 3")  # fmt: skip
    code = out.splitlines()[-1]
    assert normalise(code) is not None
    line = f"MLF-ENROL {code} https://feedback.comune.example"
    assert f"QR text: {line}" in out
    assert [d.data.decode() for d in decode(Image.open(qr))] == [line]
    listed = ok(url, "enrol-code", "list")
    assert "pending" in listed
    assert "roma-sp" in listed
    assert code not in listed
    assert api.client.post("/v1/enrolment", json={"code": code}).status_code == 200
    assert "used" in ok(url, "enrol-code", "list", "--org", "roma")
    second = ok(url, "enrol-code", "create", "--service-point", "roma-sp", "--qr-terminal")
    code_id = ok(url, "enrol-code", "list").split()[0]
    assert ok(url, "enrol-code", "revoke", code_id).startswith("revoked enrolment code")
    assert api.client.post("/v1/enrolment", json={"code": second.splitlines()[-1]}).status_code == 410
    assert "replaces" not in ok(url, "enrol-code", "list")  # the used code made roma-sp-k1: a new kiosk
    new_device = ok(url, "enrol-code", "create", "--service-point", "roma-sp", "--kiosk", "roma-sp-k1")
    assert "kiosk roma-sp-k1 (a new device: once the code is used, the old one stops working)" in new_device
    assert ok(url, "enrol-code", "list").splitlines()[0].split()[4:6] == ["replaces", "roma-sp-k1"]
    refused = admin(url, "enrol-code", "create", "--service-point", "nowhere")
    assert refused.returncode != 0
    assert "no service point 'nowhere'" in refused.stderr
    bad = admin(url, "enrol-code", "create", "--service-point", "roma-sp", "--qr", str(tmp_path / "code.jpg"))
    assert bad.returncode != 0
    assert ".png, .svg, .pdf" in bad.stderr
