"""`kiosk-buttons`: the Raspberry Pi push-button kiosk."""

from __future__ import annotations

import argparse
import logging
import signal
import sys

from pydantic import ValidationError

from kiosk.buttons.panel import ButtonPanel
from kiosk.core.kiosk import Kiosk
from kiosk.core.publisher import Publisher
from kiosk.core.settings import KioskSettings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kiosk-buttons", description="Push-button feedback kiosk (KIOSK_* env).")
    parser.add_argument("--validate-config", action="store_true", help="check the configuration and exit")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = KioskSettings()  # required fields come from the environment
    except ValidationError as exc:
        problems = "; ".join(f"KIOSK_{str(e['loc'][0]).upper()}: {e['msg']}" for e in exc.errors())
        print(f"kiosk-buttons: error: invalid configuration: {problems}", file=sys.stderr)
        return 2
    if args.validate_config:
        print("configuration is valid")
        return 0
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    password = settings.mqtt_password.get_secret_value() if settings.mqtt_password else None
    publisher = Publisher(settings.organisation, settings.kiosk_id, settings.mqtt_host, settings.mqtt_port, password)
    try:
        publisher.start()
    except (OSError, ConnectionError) as exc:
        print(f"kiosk-buttons: error: {exc}", file=sys.stderr)
        return 2
    kiosk = Kiosk(settings, publisher)
    panel = ButtonPanel(kiosk.press)
    try:
        signal.sigwait({signal.SIGINT, signal.SIGTERM})
    finally:
        panel.close()
        publisher.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
