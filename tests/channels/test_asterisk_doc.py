"""docs/channels.md's Asterisk dialplan: the request it makes, run as Asterisk would run it, against a live
collector: one `phone` rating per call however often it is sent, with its reason.

The dialplan is read from the document itself: its `[globals]`, its `Set(BODY=...)` and `Set(REASON=...)`
lines and its `System(curl ...)` line, with `${...}` filled in innermost first as Asterisk does, then run by
`/bin/sh -c` as `System()` does. Asterisk itself is in no registry this machine reaches (not in Debian 12):
what the PBX does with digits is its business; the HTTP request, its headers and body are tested here.
"""

from __future__ import annotations

import re
import subprocess
from typing import Any

import psycopg
import pytest

from tests.channels.conftest import ROOT, Live, prepare
from tests.fixtures.fix_api import make_key

DOC = ROOT / "docs" / "channels.md"
SERVICE_POINT = "torino-anagrafe"  # made by `prepare`
VARIABLE = re.compile(r"\$\{([A-Za-z0-9_]+)\}")


def dialplan() -> str:
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("### Asterisk") :]
    found = re.search(r"```ini\n(.*?)```", section, re.S)
    assert found, "no dialplan in docs/channels.md"
    return found.group(1)


def globals_of(plan: str) -> dict[str, str]:
    block = plan.split("[globals]\n", 1)[1].split("\n[", 1)[0]
    pairs = (line.split(";", 1)[0].strip().partition("=") for line in block.splitlines())
    return {name: value.strip() for name, _, value in pairs if name}


def data_of(plan: str, application: str) -> list[str]:
    """The data of every `application(...)` in the dialplan, in order (an application's line ends with `)`
    and maybe a comment)."""
    pattern = re.compile(rf"{application}\((.*)\)\s*(;.*)?$")
    return [m.group(1) for line in plan.splitlines() if (m := pattern.search(line.strip()))]


def fill(text: str, variables: dict[str, str]) -> str:
    """`${NAME}` as Asterisk substitutes it: innermost first, an unset variable as nothing."""
    while VARIABLE.search(text):
        text = VARIABLE.sub(lambda m: variables.get(m.group(1), ""), text)
    return text


def stored(live: Live) -> list[tuple[Any, ...]]:
    with psycopg.connect(live.database_url) as conn:
        return conn.execute(
            "SELECT channel::text, face::text, reason, service_point_id, source LIKE 'key:%' FROM ratings"
            " ORDER BY received_at"
        ).fetchall()


@pytest.fixture
def pbx(live: Live) -> dict[str, str]:
    """The dialplan's globals, with the live collector, its organisation and an ingest key bound to the line's
    service point in place of the document's (each replaced variable must be one the document sets)."""
    prepare(live)
    variables = globals_of(dialplan())
    ours = {
        "MLF_URL": live.url,
        "MLF_ORG": "torino",
        "MLF_SERVICE_POINT": SERVICE_POINT,
        "MLF_KEY": make_key(live.database_url, "ingest", "torino", service_point=SERVICE_POINT),
    }
    assert set(ours) <= set(variables), variables
    return variables | ours


def send(variables: dict[str, str]) -> subprocess.CompletedProcess[str]:
    [command] = [d for d in data_of(dialplan(), "System") if d.startswith("curl ")]
    return subprocess.run(["/bin/sh", "-c", fill(command, variables)], capture_output=True, text=True, timeout=30)


def call(pbx: dict[str, str], unique_id: str, digit: str, why: str | None = None) -> dict[str, str]:
    """The channel variables of a call when it reaches `send`: BODY as the dialplan's branches set it."""
    plan = dialplan()
    bodies = [d.removeprefix("BODY=") for d in data_of(plan, "Set") if d.startswith("BODY=")]
    good, fair, poor, poor_with_reason = bodies
    variables = pbx | {"UNIQUEID": unique_id, "DIGIT": digit}
    variables["BODY"] = fill({"1": good, "2": fair, "3": poor}[digit], variables)
    if digit == "3":
        variables["WHY"] = why or ""
        [reason] = [d.removeprefix("REASON=") for d in data_of(plan, "Set") if d.startswith("REASON=")]
        variables["REASON"] = fill(reason, variables)
        if variables["REASON"]:
            variables["BODY"] = fill(poor_with_reason, variables)
    return variables


def test_the_dialplan_request_stores_one_phone_rating_per_call(live: Live, pbx: dict[str, str]) -> None:
    satisfied = call(pbx, "1732960000.41", "1")
    for _ in range(3):  # the PBX's retries, or the `h` extension after a hang-up: the same call's key
        done = send(satisfied)
        assert done.returncode == 0, done.stderr
    assert stored(live) == [("phone", "positive", None, SERVICE_POINT, True)]

    assert send(call(pbx, "1732960000.42", "3", why="1")).returncode == 0
    assert send(call(pbx, "1732960000.43", "3", why="0")).returncode == 0  # 0 skips the reason
    assert send(call(pbx, "1732960000.44", "2")).returncode == 0
    assert stored(live)[1:] == [
        ("phone", "negative", "waiting-time", SERVICE_POINT, True),
        ("phone", "negative", None, SERVICE_POINT, True),
        ("phone", "neutral", None, SERVICE_POINT, True),
    ]


def test_a_refused_request_is_an_error_for_the_dialplan(live: Live, pbx: dict[str, str]) -> None:
    wrong_key = call(pbx | {"MLF_KEY": "mlf_not-a-key"}, "1732960000.51", "1")
    assert send(wrong_key).returncode == 22  # curl -f: SYSTEMSTATUS is APPERROR
    other_point = call(pbx | {"MLF_SERVICE_POINT": "torino-elsewhere"}, "1732960000.52", "2")
    assert send(other_point).returncode == 22  # the key is bound to the line's service point
    assert stored(live) == []
