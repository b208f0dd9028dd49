"""History generator: months of ratings with correct past timestamps, for demos, load and benchmarks.

`history()` yields protocol `Rating`s exactly as kiosks would have sent them
(per-kiosk sequence numbers in time order, synchronised clocks), deterministic for
a given seed. It is fast enough for tens of millions of ratings.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, timedelta
from zoneinfo import ZoneInfo

from firmware_sim.citizens import ServicePointProfile, visits_on
from protocol import KioskClock, Rating


def history(
    points: Sequence[ServicePointProfile],
    start: date,
    end: date,
    timezone: str = "Europe/Rome",
    seed: int = 1,
    first_seq: dict[str, int] | None = None,
) -> Iterator[Rating]:
    """Ratings of every local day in [start, end), day by day, in time order within each kiosk."""
    zone = ZoneInfo(timezone)
    rng = random.Random(seed)
    seq = dict(first_seq or {})
    boots = {p.kiosk_id: uuid.UUID(int=rng.getrandbits(128), version=4) for p in points}
    # Event ids are deterministic (the same backfill run twice is idempotent) but never shared between
    # kiosks, even when two histories are drawn with the same seed.
    salts = {p.kiosk_id: uuid.uuid5(uuid.NAMESPACE_URL, f"mlf-kiosk:{p.kiosk_id}").int for p in points}
    day = start
    while day < end:
        for point in points:
            boot_start = None
            for visit in visits_on(point, day, zone, rng):
                kiosk = point.kiosk_id
                seq[kiosk] = seq.get(kiosk, 0) + 1
                pressed = visit.at.astimezone(UTC)
                if boot_start is None:
                    boot_start = pressed - timedelta(minutes=30)
                    boots[kiosk] = uuid.UUID(int=rng.getrandbits(128), version=4)  # rebooted overnight
                # model_construct: the generator builds valid values itself; validating 50M ratings costs minutes.
                yield Rating.model_construct(
                    event_id=uuid.UUID(int=rng.getrandbits(128) ^ salts[kiosk], version=4),
                    kiosk_id=kiosk,
                    seq=seq[kiosk],
                    service_point=point.id,
                    service=visit.service,
                    channel=point.channel,
                    face=visit.face,
                    reason=visit.reason,
                    pressed_at=pressed,
                    clock=KioskClock.model_construct(
                        boot_id=boots[kiosk],
                        uptime_ms=int((pressed - boot_start).total_seconds() * 1000),
                        synced=True,
                    ),
                )
        day += timedelta(days=1)


@dataclass(frozen=True)
class BackfillPlan:
    """History of one service point's kiosk, to be sent by that kiosk through the real protocol."""

    point: ServicePointProfile
    start: date
    end: date
    timezone: str = "Europe/Rome"
    seed: int = 1
