"""How a kiosk program starts with or without an identity, the same for every face.

`load` gives the settings and whether the kiosk still waits for enrolment: its settings lack exactly the
identity (kiosk id, organisation, service point), and nothing else is wrong. Until it is enrolled the
identity holds `UNENROLLED` and must not be used: the face runs its waiting screen or lights, never the
kiosk core. `restart` replaces the process with itself once the identity is written: the same command
line, now reading it (systemd sees the same process: no restart counted, no watchdog gap).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import TypeVar

from kiosk.core.config_file import SettingsError, load_settings
from kiosk.core.enrol import code_file
from kiosk.core.settings import KioskSettings

S = TypeVar("S", bound=KioskSettings)
log = logging.getLogger(__name__)

IDENTITY = ("kiosk_id", "organisation", "service_point")
UNENROLLED = "unenrolled"
TAKE_HELP = (
    "move the enrolment code from the boot partition ([enrol] code_file) into the data folder, then exit "
    "(run as root before the kiosk starts: deploy/kiosk/README.md)"
)


def load(cls: type[S], config_file: Path | None) -> tuple[S, bool]:
    """(settings, waiting for enrolment); `SettingsError` for anything but a missing identity."""
    try:
        return load_settings(cls, config_file), False
    except SettingsError as exc:
        if set(exc.missing) != set(IDENTITY) or len(exc.problems) != len(exc.missing):
            raise  # a mistake, or half an identity: never taken for "not enrolled yet"
    placeholder = {name: UNENROLLED for name in IDENTITY}
    return load_settings(cls, config_file, **placeholder), True


def validated(settings: KioskSettings, waiting: bool) -> str:
    """What `--validate-config` says of valid settings."""
    if not waiting:
        return f"configuration is valid (kiosk {settings.kiosk_id}, broker {settings.mqtt_host}:{settings.mqtt_port})"
    enrol = settings.enrol
    return (
        f"configuration is valid; no kiosk identity yet: waiting for enrolment "
        f"(code typed or in {enrol.code_file}; collector {enrol.url or 'from the code QR'})"
    )


def add_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--take-enrol-code", action="store_true", help=TAKE_HELP)


def take_code(settings: KioskSettings, waiting: bool) -> int:
    """`--take-enrol-code`: exit 0 whether or not there was a code (the kiosk may be enrolled already)."""
    if waiting:
        taken = code_file.take(settings.enrol.code_file, settings.data_dir)
        print("enrolment code taken" if taken else f"no enrolment code in {settings.enrol.code_file}")
    return 0


def restart() -> None:
    """Run this program again, from the start, in this process (it now finds its identity)."""
    log.info("enrolled: starting again as an ordinary kiosk")
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [sys.executable, *sys.orig_argv[1:]])  # noqa: S606 - our own command line
