"""The code on the boot partition: taken once into the data folder, so it is never used twice.

An installer writes the code (or the QR's line) into `mlf-enrol.txt` on the SD card's boot partition
(FAT, writable from any laptop). The kiosk moves it into its data folder (`enrol-code.txt`, mode 0600)
and removes it from the boot partition; a refused code is kept as `enrol-code.refused`, and the same text
is not tried again. Under systemd the move runs as root before the kiosk starts (`--take-enrol-code`:
the kiosk's own account may not write the boot partition).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)

TAKEN = "enrol-code.txt"
REFUSED = "enrol-code.refused"
MAX_CHARS = 500


def take(code_file: Path, data_dir: Path) -> str | None:
    """The code waiting in the data folder, else the boot partition's, moved into the data folder; None
    when there is none (or only the one refused before)."""
    taken = data_dir / TAKEN
    try:
        return taken.read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        pass
    try:
        text = code_file.read_text(encoding="utf-8", errors="replace").strip()[:MAX_CHARS]
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.warning("cannot read the enrolment code file %s: %s", code_file, exc.strerror)
        return None
    refused = data_dir / REFUSED
    if refused.exists() and refused.read_text(encoding="utf-8").strip() == text:
        return None
    data_dir.mkdir(parents=True, exist_ok=True)
    _write_private(taken, text + "\n", owner_of=data_dir)
    try:
        code_file.unlink()
        log.info("enrolment code taken from %s (removed there)", code_file)
    except OSError as exc:
        log.warning("enrolment code taken from %s, but it cannot be removed (%s): remove it", code_file, exc.strerror)
    return text or None


def spent(data_dir: Path) -> None:
    """The taken code was used: it goes."""
    (data_dir / TAKEN).unlink(missing_ok=True)


def refused(data_dir: Path) -> None:
    """The taken code was refused for good: kept aside, never tried again."""
    taken = data_dir / TAKEN
    if taken.exists():
        taken.replace(data_dir / REFUSED)


def _write_private(path: Path, text: str, owner_of: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    if os.geteuid() == 0:  # the root step before the kiosk starts: the kiosk's account must read it
        owner = owner_of.stat()
        os.chown(tmp, owner.st_uid, owner.st_gid)
    os.replace(tmp, path)
