"""`kiosk-buttons`: the Raspberry Pi push-button kiosk."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path

from kiosk.buttons.settings import ButtonKioskSettings
from kiosk.buttons.signals import legend
from kiosk.core import adoption
from kiosk.core.config_file import SettingsError
from kiosk.core.enrol import boot
from kiosk.core.face_api import OutboxError
from kiosk.core.sdnotify import SystemdNotifier

log = logging.getLogger("kiosk.buttons")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="kiosk-buttons",
        description="Push-button feedback kiosk. Settings come from a TOML file and KIOSK_* environment "
        "variables (see deploy/kiosk/README.md).",
    )
    parser.add_argument("--config", type=Path, help="TOML settings file (default: $KIOSK_CONFIG_FILE)")
    parser.add_argument("--validate-config", action="store_true", help="check the settings and exit")
    parser.add_argument(
        "--print-legend", action="store_true", help="print the card that explains lights and beeps to citizens"
    )
    adoption.add_option(parser)
    boot.add_option(parser)
    args = parser.parse_args(argv)
    if args.print_legend:
        print(legend(), end="")
        return 0
    try:
        settings, waiting = boot.load(ButtonKioskSettings, args.config)
    except SettingsError as exc:
        print(f"kiosk-buttons: error: {exc}", file=sys.stderr)
        return 2
    if args.take_enrol_code:
        return boot.take_code(settings, waiting)
    if args.validate_config:
        print(boot.validated(settings, waiting))
        return 0
    if waiting and args.adopt_outbox:
        print("kiosk-buttons: error: no kiosk identity yet: enrol it before adopting an outbox", file=sys.stderr)
        return 2
    if waiting:
        logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        return wait_for_enrolment(settings)
    if args.adopt_outbox:
        return adoption.adopt("kiosk-buttons", settings)
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return run(settings)


def wait_for_enrolment(settings: ButtonKioskSettings) -> int:
    """No identity yet: chase the lights and wait for the code; enrolled, start again as a kiosk."""
    from kiosk.buttons.waiting import WaitingLights
    from kiosk.core.enrol.enroller import Enroller

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    try:
        lights = WaitingLights(settings.gpio)
    except Exception as exc:  # gpiozero: no pin driver, pin in use, not a Pi ...
        print(f"kiosk-buttons: error: cannot set up the GPIO pins: {exc}", file=sys.stderr)
        return 2
    enroller = Enroller(settings.enrol, settings.data_dir)
    enroller.add_listener(lights.show)
    systemd = SystemdNotifier()
    enroller.start()
    systemd.ready("waiting for enrolment")
    try:
        while not enroller.done.is_set() and not stop.wait(min(1.0, systemd.watchdog_interval_s or 1.0)):
            if systemd.watchdog_interval_s and enroller.alive:
                systemd.watchdog()
    finally:
        lights.close()
        enroller.stop()
    if enroller.done.is_set():
        boot.restart()
    return 0


def run(settings: ButtonKioskSettings) -> int:
    from kiosk.buttons.panel import build_button_kiosk  # imports gpiozero's pin drivers

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    try:
        kiosk, panel = build_button_kiosk(settings)
    except OutboxError as exc:
        print(f"kiosk-buttons: error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # gpiozero: no pin driver, pin in use, not a Pi ...
        print(f"kiosk-buttons: error: cannot set up the GPIO pins: {exc}", file=sys.stderr)
        return 2
    systemd = SystemdNotifier()
    kiosk.start()
    systemd.ready(f"kiosk {settings.kiosk_id} taking presses")
    try:
        while not stop.wait(systemd.watchdog_interval_s or 1.0):
            if systemd.watchdog_interval_s and kiosk.alive and panel.alive:
                systemd.watchdog()
    finally:
        systemd.stopping()
        log.info("stopping")
        panel.close()
        kiosk.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
