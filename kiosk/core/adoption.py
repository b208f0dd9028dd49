"""`--adopt-outbox`, the same for every kiosk program: a replacement device takes over a kiosk's outbox.

A kiosk refuses an outbox created on another device (see `kiosk.core.outbox.Outbox`); the operator who
restored it onto a replacement says so once with this option, and its pending ratings are sent as a new
instance when the kiosk next starts.
"""

from __future__ import annotations

import argparse
import sys

from kiosk.core.face_api import OutboxError, adopt_outbox
from kiosk.core.settings import KioskSettings

HELP = (
    "take over an outbox created on another device (this one replaces it): its pending ratings are sent "
    "as a new instance; then exit"
)


def add_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--adopt-outbox", action="store_true", help=HELP)


def adopt(prog: str, settings: KioskSettings) -> int:
    """Make the outbox in `data_dir` this device's; the exit code of the program (2: it could not)."""
    try:
        stats = adopt_outbox(settings.outbox_path, settings.kiosk_id, settings.device())
    except OutboxError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2
    print(
        f"outbox {settings.outbox_path} adopted by this device as instance {stats.instance}: "
        f"{stats.depth} pending rating(s) will be sent when the kiosk starts"
    )
    return 0
