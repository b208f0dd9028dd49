"""mosquitto's password_file and acl_file, derived from the registry.

Why files and not the dynamic-security plugin: the registry in PostgreSQL stays the single truth (only
hashes), the files are rebuilt from it whole and atomically, mosquitto reads them even when it starts
while the collector is down, and every mosquitto 2.x accepts them. The price is a reload (SIGHUP) after
each change, done by `COLLECTOR_BROKER_RELOAD_COMMAND`. (mosquitto 2.0's dynamic-security plugin would
apply at once, but needs an admin account on the broker and offers no `%u` substitution before 2.1.)

Each kiosk gets its own block in the ACL, with its organisation spelled out: it may publish only its own
rating, heartbeat and status, and read only its own config and ack (never publish there: only the
collector writes collector topics; a forged retained ack would make a kiosk forget unstored ratings).
MQTT v5 clients are told when a publish is denied; with MQTT 3.1.1 the broker drops it silently.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import secrets
import shlex
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from protocol import TopicKind, build_topic, subscription
from protocol.topics import SPECS

log = logging.getLogger(__name__)

ITERATIONS = 101
"""mosquitto_passwd's own default for its `$7$` (PBKDF2-SHA512) hashes."""


def new_password() -> str:
    return secrets.token_urlsafe(24)


def mosquitto_hash(password: str, salt: bytes | None = None, iterations: int = ITERATIONS) -> str:
    """The hash part of a password_file line, exactly as `mosquitto_passwd` writes it."""
    salt = salt if salt is not None else secrets.token_bytes(12)
    derived = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations, 64)
    return f"$7${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(derived).decode()}"


@dataclass(frozen=True)
class KioskAccount:
    kiosk_id: str
    org: str
    password_hash: str


def password_file(accounts: Iterable[KioskAccount], static: str = "") -> str:
    lines = [static.rstrip("\n")] if static.strip() else []
    lines += [f"{a.kiosk_id}:{a.password_hash}" for a in accounts]
    return "\n".join(lines) + "\n"


def acl_file(accounts: Iterable[KioskAccount], collector_user: str | None, static: str = "") -> str:
    out = ["# Written by the collector from its registry; edits are overwritten (see deploy/mosquitto)."]
    if static.strip():
        out += ["", static.rstrip("\n")]
    if collector_user and f"user {collector_user}" not in static.splitlines():
        # Several collectors sharing the stream each name their own user; with all of them in the static
        # ACL, they write the same file (no rewrite and reload back and forth).
        out += ["", f"user {collector_user}"]
        out += [f"topic readwrite {subscription(kind)}" for kind in TopicKind]
    for a in accounts:
        out += ["", f"user {a.kiosk_id}"]
        for kind, spec in SPECS.items():
            access = "read" if spec.publisher == "collector" else "write"
            out.append(f"topic {access} {build_topic(a.org, a.kiosk_id, kind)}")
    return "\n".join(out) + "\n"


def write_atomically(path: Path, text: str) -> bool:
    """Replace `path` with `text` unless it already holds it; keep its owner and mode. True if changed."""
    try:
        if path.read_text(encoding="utf-8") == text:
            return False
        st: os.stat_result | None = path.stat()
    except FileNotFoundError:
        st = None
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, st.st_mode & 0o777 if st else 0o640)
        if st is not None and os.geteuid() == 0:
            os.chown(tmp, st.st_uid, st.st_gid)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True


class BrokerReloadError(RuntimeError):
    """The broker files were written but mosquitto could not be told to re-read them."""


def reload_broker(command: str | None) -> None:
    """Run the reload command; `BrokerReloadError` (already logged in one line) if it cannot or fails."""
    if not command:
        # Fine where the broker host watches the files (deploy/systemd/mlf-broker-reload.path).
        log.info("broker files changed; no COLLECTOR_BROKER_RELOAD_COMMAND: the broker host must reload mosquitto")
        return
    try:
        done = subprocess.run(shlex.split(command), capture_output=True, text=True, timeout=30, check=False)
    except (OSError, ValueError, subprocess.TimeoutExpired) as exc:
        problem = f"broker reload command {command!r} could not run: {exc}"
    else:
        if done.returncode == 0:
            log.info("broker reloaded")
            return
        problem = f"broker reload command failed ({done.returncode}): {(done.stderr or done.stdout).strip()}"
    log.error("%s; will retry", problem)
    raise BrokerReloadError(problem)
