"""Helpers shared by the local services: free ports, unprivileged accounts, waiting for a port."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import time
from pathlib import Path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def port_is_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


def wait_for_port(port: int, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_is_open(port):
            return
        time.sleep(0.02)
    raise TimeoutError(f"{what} did not open port {port} within {timeout:.0f} s")


def service_user() -> str | None:
    """The account servers run as: ourselves, or an unprivileged one when we are root.

    PostgreSQL refuses to run as root, and mosquitto started as root would switch
    to its own user and lose access to our files; so as root both run as one
    unprivileged account that owns their folders.
    """
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "mosquitto", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    raise RuntimeError("running as root, and no unprivileged account (postgres, mosquitto, nobody) exists")


def give_to(path: Path, user: str | None) -> None:
    """Make `user` own `path` (recursively); nothing to do when we are not root."""
    if user is None:
        return
    info = pwd.getpwnam(user)
    os.chown(path, info.pw_uid, info.pw_gid)
    for root, dirs, files in os.walk(path):
        os.chown(root, info.pw_uid, info.pw_gid)
        for name in dirs + files:
            os.chown(os.path.join(root, name), info.pw_uid, info.pw_gid, follow_symlinks=False)


def can_reach(path: Path, user: str | None) -> bool:
    """Whether `user` may traverse every parent folder of `path`."""
    if user is None:
        return True
    info = pwd.getpwnam(user)
    for parent in path.resolve().parents:
        st = parent.stat()
        if st.st_uid == info.pw_uid:
            continue
        if not st.st_mode & 0o001:
            return False
    return True


def which(program: str, *extra_dirs: Path) -> str:
    for folder in extra_dirs:
        candidate = folder / program
        if candidate.exists():
            return str(candidate)
    found = shutil.which(program, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")
    if not found:
        raise FileNotFoundError(f"{program} is not installed (run scripts/bootstrap.sh)")
    return found
