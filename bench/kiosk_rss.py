"""Resident memory of one `kiosk-buttons` process (target: <= 60 MB).

The real entry point, as systemd starts it, with its default settings, on gpiozero's mock pins
(GPIOZERO_PIN_FACTORY=mock), connected to a real mosquitto with the real collector and PostgreSQL
behind it. Measured in one run, from /proc/<pid>/status (peak = VmHWM):

  idle       connected, waiting for citizens
  backlog    started with 100,000 ratings in its outbox, until the collector has confirmed them all

    .venv/bin/python bench/kiosk_rss.py [--backlog 100000]
"""

from __future__ import annotations

import argparse
import itertools
import os
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
from kiosk_stack import broker_only, collector, machine_note, postgres, scratch
from paho.mqtt.enums import CallbackAPIVersion

from firmware_sim.backfill import history
from firmware_sim.citizens import demo_fleet
from kiosk.core.device import local_device_id
from kiosk.core.outbox import Outbox, peek
from protocol import TopicKind, subscription


def memory(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) in MB."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def _pending(data: Path) -> int:
    stats = peek(data / "outbox.sqlite3")
    return stats.depth if stats else 0


def run(port: int, backlog: int) -> None:
    data = scratch("rss")
    kiosk_id = "rss-k1"
    if backlog:
        outbox = Outbox(data / "outbox.sqlite3", kiosk_id, local_device_id())
        point = demo_fleet(1, org="rss", daily_mean=3000)[0]
        end = date.today()
        ratings = itertools.islice(history([point], end - timedelta(days=backlog // 1500 + 7), end), backlog)
        while chunk := list(itertools.islice(ratings, 10_000)):
            outbox.append_many(chunk)
        outbox.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    env |= {
        "GPIOZERO_PIN_FACTORY": "mock",
        "GPIOZERO_MOCK_PIN_CLASS": "mockpwmpin",
        "KIOSK_KIOSK_ID": kiosk_id,
        "KIOSK_ORGANISATION": "rss",
        "KIOSK_SERVICE_POINT": "rss-sp",
        "KIOSK_DATA_DIR": str(data),
        "KIOSK_MQTT_PORT": str(port),
        "KIOSK_LOG_LEVEL": "WARNING",
        "KIOSK_GPIO__STATUS_LED": "19",
        "KIOSK_GPIO__BUZZER": "26",
        "KIOSK_GPIO__REASON_BUTTONS": "[23, 24, 25, 16]",
    }
    received = [0]
    counter = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="rss-counter", protocol=mqtt.MQTTv5)
    counter.username_pw_set("rss-counter")  # the broker binds client ids to user names
    counter.on_message = lambda *_: received.__setitem__(0, received[0] + 1)
    counter.connect("127.0.0.1", port)
    counter.subscribe(subscription(TopicKind.RATING, org="rss"), qos=0)
    counter.loop_start()
    process = subprocess.Popen([sys.executable, "-m", "kiosk.buttons.main"], env=env)
    try:
        time.sleep(5)
        rss, peak = memory(process.pid)
        name = "backlog" if backlog else "idle"
        print(f"  {name:<8} RSS {rss:5.1f} MB   peak {peak:5.1f} MB", end="")
        if backlog:
            deadline = time.monotonic() + 300
            while (left := _pending(data)) and time.monotonic() < deadline:
                time.sleep(0.2)
            if left:
                raise SystemExit(f"{left:,} ratings still pending after 5 minutes: is the collector storing?")
            rss, peak = memory(process.pid)
            print(f"  -> after delivering {received[0]:,}: RSS {rss:5.1f} MB   peak {peak:5.1f} MB", end="")
        print()
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)
        counter.disconnect()
        counter.loop_stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backlog", type=int, default=100_000)
    args = parser.parse_args()
    print(f"kiosk-buttons resident memory ({machine_note()})")
    with broker_only() as stack, postgres() as database_url, collector(database_url, stack.broker):
        run(stack.broker.port, 0)
        run(stack.broker.port, args.backlog)
    return 0


if __name__ == "__main__":
    sys.exit(main())
