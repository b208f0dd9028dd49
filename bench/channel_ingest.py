"""Channel ratings API ingest beside MQTT ingest, on one collector process, in one run.

One `mlf-collector serve` (one uvicorn worker, MQTT ingest in the same process) on its own PostgreSQL
(fsync on) and mosquitto. Each round, the same number of ratings arrives first over MQTT (a kiosk fleet's
backlog published at once: the time from the first publish to the last rating stored), then through
`POST /v1/organisations/{org}/channel-ratings` in batches with idempotency keys, sent one after the other
over one connection (the time from the first request to the last answer; each answer means stored), then
the same batches again (all duplicates: what a client's retry costs). Ratings per second of each, the
medians of the rounds, and the channel/MQTT ratio.

    .venv/bin/python bench/channel_ingest.py --ratings 20000 --batch 500 --rounds 3
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta

import httpx
import psycopg
from ingest_throughput import ORG, backlog, publish
from services import stack

from protocol import Face

FACES = list(Face)


def batches(round_no: int, ratings: int, kiosks: int, size: int) -> list[list[dict[str, object]]]:
    """The same mix through the channel API: web ratings with stated times and idempotency keys."""
    start = datetime.now(UTC) - timedelta(hours=2)
    items: list[dict[str, object]] = [
        {
            "service_point": f"{ORG}-sp{i % kiosks}",
            "face": FACES[(i * 7) % 3].value,
            "channel": "web",
            "judged_at": (start + timedelta(milliseconds=i)).isoformat(),
            "idempotency_key": f"r{round_no}-{i}",
        }
        for i in range(ratings)
    ]
    return [items[i : i + size] for i in range(0, len(items), size)]


def stored(database_url: str, where: str) -> int:
    with psycopg.connect(database_url) as conn:
        row = conn.execute(f"SELECT count(*) FROM ratings WHERE {where}".encode()).fetchone()  # noqa: S608 - constants
    return int(row[0]) if row else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ratings", type=int, default=20_000, help="ratings per path per round")
    parser.add_argument("--kiosks", type=int, default=100, help="kiosks (and service points) of the mix")
    parser.add_argument("--batch", type=int, default=500, help="ratings per channel API request (at most 1000)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    mqtt_rates: list[float] = []
    channel_rates: list[float] = []
    retry_rates: list[float] = []
    with stack("channels") as run:
        admin = run.collector.api_key("admin")
        with httpx.Client(
            base_url=run.collector.url, headers={"Authorization": f"Bearer {admin}"}, timeout=120
        ) as http:
            for r in range(1, args.rounds + 1):
                before = stored(run.database_url, "source IS NULL")
                messages = backlog(args.ratings, args.kiosks, f"{ORG}-r{r}-k")  # this round's own kiosks
                began = time.perf_counter()
                publish(run.broker.port, messages, f"bench-fleet-{r}")
                while stored(run.database_url, "source IS NULL") < before + args.ratings:
                    time.sleep(0.05)
                    if time.perf_counter() - began > 600:
                        raise TimeoutError("MQTT ratings were not all stored in 10 minutes")
                mqtt_rates.append(args.ratings / (time.perf_counter() - began))

                sent = batches(r, args.ratings, args.kiosks, args.batch)
                for label, rates, want in (("stored", channel_rates, len(sent[0])), ("duplicates", retry_rates, 0)):
                    began = time.perf_counter()
                    for body in sent:
                        answer = http.post(f"/v1/organisations/{ORG}/channel-ratings", json=body)
                        answer.raise_for_status()
                        if answer.json()["stored"] != (len(body) if want else 0):
                            raise RuntimeError(f"{label}: unexpected answer {answer.text[:300]}")
                    rates.append(args.ratings / (time.perf_counter() - began))
                print(
                    f"round {r}: MQTT {mqtt_rates[-1]:,.0f}/s, channel API {channel_rates[-1]:,.0f}/s, "
                    f"resent (duplicates) {retry_rates[-1]:,.0f}/s",
                    flush=True,
                )
        total = stored(run.database_url, "true")
        tracebacks = run.collector.tracebacks()
    mqtt, channel, retry = (statistics.median(x) for x in (mqtt_rates, channel_rates, retry_rates))
    expected = 2 * args.ratings * args.rounds
    print(f"\n{args.ratings:,} ratings per path per round, batches of {args.batch}, {args.rounds} rounds (medians):")
    print(f"  MQTT (kiosk backlog, stored)        {mqtt:10,.0f} ratings/s")
    print(f"  channel API (batches, stored)       {channel:10,.0f} ratings/s   {channel / mqtt:.2f}x MQTT")
    print(f"  channel API (the same, resent)      {retry:10,.0f} ratings/s")
    print(f"  stored {total:,} of {expected:,} sent once; collector tracebacks: {tracebacks}")
    return 0 if total == expected and not tracebacks else 1


if __name__ == "__main__":
    sys.exit(main())
