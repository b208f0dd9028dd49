"""A kiosk's backlog of 100,000 pending presses drains once the broker is back (target: >= 5,000/s).

The presses are in the kiosk's outbox (as after a long outage); then mosquitto, the
real collector and PostgreSQL are there and the kiosk's link starts. Measured, in one run:

  sent       every rating published and PUBACKed by the broker
  drained    the collector's watermark covers every rating: all stored, the outbox empty

and, first, what the kiosk alone can send to the broker when nothing holds it back.

for send windows of 1,000, 5,000 (the default) and 10,000 (the simulator's backfill) ratings
ahead of the watermark; everything else as a kiosk has it by default.

    .venv/bin/python bench/kiosk_backlog_drain.py [--presses 100000]
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from datetime import date, timedelta

import psycopg
from kiosk_stack import broker_only, collector, machine_note, postgres, scratch

from firmware_sim.backfill import history
from firmware_sim.citizens import demo_fleet
from kiosk.core.kiosk import Kiosk
from kiosk.core.settings import KioskSettings

STALL_S = 120.0


def fill(kiosk: Kiosk, org: str, presses: int) -> None:
    """The last weeks of a very busy counter (the collector refuses presses older than 400 days)."""
    point = demo_fleet(1, org=org, daily_mean=3000)[0]
    end = date.today()
    ratings = itertools.islice(history([point], end - timedelta(days=presses // 1500 + 7), end, seed=5), presses)
    while chunk := list(itertools.islice(ratings, 10_000)):
        kiosk.outbox.append_many(chunk)


def kiosk_side(port: int, presses: int) -> float:
    """Seconds to publish the whole backlog with nothing acknowledging it: what the kiosk alone can do."""
    settings = KioskSettings(
        kiosk_id="alone-k1",
        organisation="alone",
        service_point="alone-sp",
        data_dir=scratch("drain"),
        mqtt_port=port,
        clock_synced="yes",
        send_window=presses,
    )
    kiosk = Kiosk(settings)
    fill(kiosk, "alone", presses)
    started = time.perf_counter()
    kiosk.start()
    while kiosk.link.stats.broker_acked < presses:
        time.sleep(0.01)
    elapsed = time.perf_counter() - started
    kiosk.stop()
    return elapsed


def drain(port: int, database_url: str, presses: int, window: int) -> tuple[float, float, int]:
    org = f"drain{window}"
    settings = KioskSettings(
        kiosk_id=f"{org}-k1",
        organisation=org,
        service_point=f"{org}-sp",
        data_dir=scratch("drain"),
        mqtt_port=port,
        clock_synced="yes",
        send_window=window,
    )
    kiosk = Kiosk(settings)
    fill(kiosk, org, presses)
    assert kiosk.outbox.stats().depth == presses
    started = time.perf_counter()
    kiosk.start()
    sent_at = None
    progress = (presses, time.perf_counter())
    while depth := kiosk.outbox.stats().depth:
        now = time.perf_counter()
        if sent_at is None and kiosk.link.stats.broker_acked >= presses:
            sent_at = now
        if depth < progress[0]:
            progress = (depth, now)
        elif now - progress[1] > STALL_S:
            kiosk.stop()
            raise SystemExit(f"no progress for {STALL_S:.0f} s with {depth:,} pending: is the collector storing?")
        time.sleep(0.05)
    drained = time.perf_counter() - started
    sent = (sent_at or time.perf_counter()) - started
    kiosk.stop()
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT count(DISTINCT event_id) FROM ratings WHERE kiosk_id = %s", (settings.kiosk_id,))
        stored = int(row.fetchone()[0])  # type: ignore[index]
    return sent, drained, stored


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presses", type=int, default=100_000)
    parser.add_argument("--windows", type=int, nargs="+", default=[1000, 5000, 10_000], help="send windows")
    args = parser.parse_args()
    print(f"backlog of {args.presses:,} presses, broker and collector back ({machine_note()})", flush=True)
    with broker_only() as stack:
        alone = kiosk_side(stack.broker.port, args.presses)
        print(f"  kiosk alone (no collector, window = backlog): sent {args.presses / alone:8,.0f}/s", flush=True)
    with broker_only() as stack, postgres() as database_url, collector(database_url, stack.broker):
        for window in args.windows:
            sent, drained, stored = drain(stack.broker.port, database_url, args.presses, window)
            print(
                f"  window {window:>6,}: sent {args.presses / sent:8,.0f}/s   drained {args.presses / drained:8,.0f}/s"
                f"   ({drained:5.1f} s; stored {stored:,} distinct)",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
