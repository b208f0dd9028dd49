"""Which device this is, and that one process alone uses a kiosk's data folder.

An outbox records the device it was created on: a copy of it on another device (an SD card image cloned
with its outbox, a backup restored onto a replacement) would share its instance and its sequence numbers
with the original, and a watermark meant for one would release the other's ratings. So the kiosk refuses
such an outbox (see `Outbox`). The device is named by systemd's machine id and, on a Raspberry Pi, the
board's serial number, which stays with the board even when a card holding the machine id is cloned.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

MACHINE_ID_FILES = (Path("/etc/machine-id"), Path("/var/lib/dbus/machine-id"))
BOARD_SERIAL_FILE = Path("/sys/firmware/devicetree/base/serial-number")
UNKNOWN_DEVICE = "unknown"


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii", errors="replace").strip("\x00\n\t ")
    except OSError:
        return ""


def local_device_id(
    machine_id_files: tuple[Path, ...] = MACHINE_ID_FILES, board_serial_file: Path = BOARD_SERIAL_FILE
) -> str:
    """`machine-id:<id>` and, where the board has one, `,board:<serial>`; `unknown` when neither is there."""
    parts = []
    for path in machine_id_files:
        text = _read(path)
        if text and text != "uninitialized":
            parts.append(f"machine-id:{text}")
            break
    if serial := _read(board_serial_file):
        parts.append(f"board:{serial}")
    return ",".join(parts) or UNKNOWN_DEVICE


class FolderInUse(RuntimeError):
    """Another process holds the lock of this data folder."""


class ExclusiveUse:
    """An advisory lock (`flock`) on `path`, held while the object lives: a second kiosk process on the same
    data folder fails at once instead of numbering ratings beside the first. The file keeps the holder's pid
    for the message; the kernel releases the lock when the process dies, even by SIGKILL."""

    def __init__(self, path: Path) -> None:
        self.path = path
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise FolderInUse(f"{path.parent} is in use by another kiosk process (pid {holder})") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd: int | None = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
