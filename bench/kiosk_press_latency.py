"""Press -> durable -> confirmation latency of the button kiosk (target: p99 <= 20 ms).

A press is a mock GPIO pin driven low, exactly as a button would; it runs the real
panel, flow and outbox. "durable" is the return of the outbox commit (WAL fsync'ed,
synchronous=FULL); "confirmation" is the moment the face's light changes to the
accepted pattern. Side by side in one run:

  idle          the MQTT link connected to a real mosquitto, nothing else going on
  draining      the same while the link sends a backlog of 20,000 ratings
  NORMAL        synchronous=NORMAL instead of FULL: what durability against power loss costs

    .venv/bin/python bench/kiosk_press_latency.py [--presses 2000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta

from gpiozero.pins.mock import MockFactory, MockPWMPin
from kiosk_stack import broker_only, machine_note, scratch

from firmware_sim.backfill import history
from firmware_sim.citizens import demo_fleet
from firmware_sim.mock_kiosk import SIM_WIRING
from kiosk.buttons.panel import build_button_kiosk
from kiosk.buttons.settings import ButtonKioskSettings
from protocol import Face, Rating

FACE_PINS = {Face.POSITIVE: (17, 5), Face.NEUTRAL: (27, 6), Face.NEGATIVE: (22, 13)}


def measure(port: int, presses: int, backlog: int, synchronous: str) -> tuple[list[float], list[float]]:
    folder = scratch("press")
    wiring = SIM_WIRING.model_copy(update={"bounce_s": 0.0, "reason_buttons": [], "reason_leds": []})
    settings = ButtonKioskSettings(
        kiosk_id="bench-k1",
        organisation="bench",
        service_point="bench-sp",
        data_dir=folder,
        mqtt_port=port,
        clock_synced="yes",
        cooldown_s=0,
        thank_you_s=0,
        resend_after_s=3600,
        send_window=100_000,  # no collector here: let the link keep sending the whole backlog
        gpio=wiring.model_dump(),
    )
    factory = MockFactory(pin_class=MockPWMPin)
    kiosk, panel = build_button_kiosk(settings, factory)
    if backlog:
        point = demo_fleet(1, org="bench")[0]
        ratings = list(history([point], *_days(backlog), seed=3))[:backlog]
        kiosk.outbox.append_many(ratings)
    kiosk.outbox._connection().execute(f"PRAGMA synchronous={synchronous}")  # this thread's (the press) connection
    durable_at: list[float] = []
    append = kiosk.outbox.append

    def timed_append(make: Callable[[int], Rating]) -> Rating:
        rating = append(make)
        durable_at.append(time.perf_counter())  # the commit (fsync) has returned
        return rating

    kiosk.outbox.append = timed_append  # type: ignore[method-assign]
    kiosk.start()
    while not kiosk.link.online:
        time.sleep(0.05)
    to_durable, to_light = [], []
    faces = list(FACE_PINS)
    for i in range(presses):
        button, light = FACE_PINS[faces[i % 3]]
        led = factory.pin(light)
        panel.signals.ready(True)  # all lit and steady, as a citizen finds the kiosk
        led.clear_states()
        cleared = led._last_change
        started = time.perf_counter()
        started_mono = time.monotonic()
        factory.pin(button).drive_low()
        factory.pin(button).drive_high()
        while len(led.states) < 3:  # lit (ready) -> dark -> first flash of the confirmation
            time.sleep(0.0002)
        lit_at = cleared + led.states[1].timestamp + led.states[2].timestamp
        to_durable.append(durable_at[-1] - started)
        to_light.append(lit_at - started_mono)
        time.sleep(0.01)
    if backlog:
        print(f"    (link sent {kiosk.link.stats.published} backlog ratings meanwhile)")
    panel.close()
    kiosk.stop()
    return to_durable, to_light


def _days(backlog: int) -> tuple[date, date]:
    end = date.today()
    return end - timedelta(days=max(30, backlog // 20)), end


def summary(values: list[float]) -> str:
    ms = sorted(v * 1000 for v in values)
    p = statistics.quantiles(ms, n=100)
    return f"p50 {p[49]:6.2f} ms   p99 {p[98]:6.2f} ms   max {ms[-1]:6.2f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presses", type=int, default=2000)
    args = parser.parse_args()
    print(f"press -> durable -> confirmation, {args.presses} presses per row ({machine_note()})")
    with broker_only() as stack:
        for name, backlog, sync in (("idle", 0, "FULL"), ("draining", 20_000, "FULL"), ("NORMAL", 0, "NORMAL")):
            durable, light = measure(stack.broker.port, args.presses, backlog, sync)
            print(f"  {name:<9} durable        {summary(durable)}")
            print(f"  {'':<9} light changes  {summary(light)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
