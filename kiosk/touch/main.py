"""`mlf-kiosk-touch`: the touchscreen kiosk (Kivy), full screen on a Raspberry Pi or in a window on a laptop."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any, Protocol

from kiosk.core import adoption
from kiosk.core.config_file import SettingsError
from kiosk.core.enrol import boot
from kiosk.core.face_api import OutboxError
from kiosk.core.sdnotify import SystemdNotifier
from kiosk.touch.settings import TouchKioskSettings, TouchScreen

log = logging.getLogger("kiosk.touch")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="mlf-kiosk-touch",
        description="Touchscreen feedback kiosk. Settings come from a TOML file and KIOSK_* environment "
        "variables (see deploy/kiosk/README.md).",
    )
    parser.add_argument("--config", type=Path, help="TOML settings file (default: $KIOSK_CONFIG_FILE)")
    parser.add_argument("--validate-config", action="store_true", help="check the settings and exit")
    parser.add_argument("--window", metavar="WxH", help="run in a window of this size (e.g. 800x480), not full screen")
    adoption.add_option(parser)
    boot.add_option(parser)
    args = parser.parse_args(argv)
    try:
        settings, waiting = boot.load(TouchKioskSettings, args.config)
        if args.window:
            touch = TouchScreen.model_validate(
                {**settings.touch.model_dump(), "fullscreen": False, "window_size": args.window, "show_cursor": True}
            )
            settings = settings.model_copy(update={"touch": touch})
    except SettingsError as exc:
        print(f"mlf-kiosk-touch: error: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"mlf-kiosk-touch: error: --window {args.window}: {exc}", file=sys.stderr)
        return 2
    if args.take_enrol_code:
        return boot.take_code(settings, waiting)
    if args.validate_config:
        print(boot.validated(settings, waiting))
        return 0
    if waiting and args.adopt_outbox:
        print("mlf-kiosk-touch: error: no kiosk identity yet: enrol it before adopting an outbox", file=sys.stderr)
        return 2
    if waiting:
        logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        return wait_for_enrolment(settings)
    if args.adopt_outbox:
        return adoption.adopt("mlf-kiosk-touch", settings)
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return run(settings)


def configure_kivy(screen: TouchScreen, data_dir: Path) -> None:
    """Kivy reads these when first imported: before any `import kivy...`."""
    os.environ.setdefault("KIVY_NO_ARGS", "1")  # our arguments are ours
    os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")  # Kivy logs through `logging`, configured above
    os.environ.setdefault("KIVY_NO_FILELOG", "1")
    os.environ.setdefault("KIVY_IMAGE", "sdl2")  # no picture to decode: not every image library (Pillow: 3 MB)
    # Without a GPU driver, Mesa renders in software (llvmpipe); with its rasterizer threads our frames
    # cost ~3.5 MB each until about 2.3 GB are held (bench/README.md). Drawn on this thread, memory stays
    # flat, and a few static screens need no more. Hardware drivers (a Pi's v3d) ignore it.
    os.environ.setdefault("LP_NUM_THREADS", "0")
    if "KIVY_HOME" not in os.environ:  # not ~/.kivy: the service has no home
        home = data_dir / "kivy"
        home.mkdir(parents=True, exist_ok=True)  # a first start: Kivy makes only the last folder of the path
        os.environ["KIVY_HOME"] = str(home)
    from kivy.config import Config

    width, height = screen.window()
    Config.set("kivy", "exit_on_escape", "0")  # Esc is a key citizens may press
    Config.set("graphics", "fullscreen", "auto" if screen.fullscreen else "0")
    Config.set("graphics", "width", str(width))
    Config.set("graphics", "height", str(height))
    Config.set("graphics", "show_cursor", "1" if screen.show_cursor else "0")
    Config.set("input", "mouse", "mouse,disable_multitouch")  # a right click is a click, not a red dot


def wait_for_enrolment(settings: TouchKioskSettings) -> int:
    """No identity yet: the enrolment screen (kiosk/touch/enrol_app.py); enrolled, start again as a kiosk."""
    from kiosk.core.enrol.enroller import Enroller

    configure_kivy(settings.touch, settings.data_dir)

    from kiosk.touch.enrol_app import EnrolApp

    enroller = Enroller(settings.enrol, settings.data_dir)
    systemd = SystemdNotifier()
    app = EnrolApp(enroller, settings.enrol, on_ready=lambda: systemd.ready("waiting for enrolment"))
    _run_beside(app, enroller, systemd)
    if enroller.done.is_set():
        boot.restart()
    return 0


def run(settings: TouchKioskSettings) -> int:
    from kiosk.core.kiosk import Kiosk

    try:
        kiosk = Kiosk(settings)  # first: a refused outbox is one line, before Kivy says anything
    except OutboxError as exc:
        print(f"mlf-kiosk-touch: error: {exc}", file=sys.stderr)
        return 2
    configure_kivy(settings.touch, settings.data_dir)

    from kiosk.touch.app import TouchKioskApp

    systemd = SystemdNotifier()
    app = TouchKioskApp(kiosk, settings.touch, on_ready=lambda: systemd.ready(f"kiosk {settings.kiosk_id} ready"))
    _run_beside(app, kiosk, systemd, stopping=True)
    return 0


class _Worker(Protocol):
    @property
    def alive(self) -> bool: ...
    def start(self) -> None: ...
    def stop(self) -> None: ...


def _run_beside(app: Any, worker: _Worker, systemd: SystemdNotifier, stopping: bool = False) -> None:
    """Run the Kivy app with `worker` (the kiosk, the enroller) beside it: SIGTERM and SIGINT close the app
    on its own thread, systemd's watchdog is fed while the worker lives, and the worker stops with the app."""
    from kivy.clock import Clock

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: Clock.schedule_once(lambda _dt: app.stop(), 0))
    if systemd.watchdog_interval_s:
        Clock.schedule_interval(lambda _dt: systemd.watchdog() if worker.alive else None, systemd.watchdog_interval_s)
    worker.start()
    try:
        app.run()
    finally:
        if stopping:
            systemd.stopping()
            log.info("stopping")
        worker.stop()


if __name__ == "__main__":
    sys.exit(main())
