"""Citizens at counters: when they come (opening hours), and how they judge (a mood per service point)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from kiosk.core.settings import DEFAULT_REASONS
from protocol import Channel, Face

__all__ = ["DEFAULT_REASONS", "Citizen", "OpeningHours", "ServicePointProfile", "Visit"]


FACES = (Face.POSITIVE, Face.NEUTRAL, Face.NEGATIVE)
SERVICES = ("anagrafe", "carta-identita", "stato-civile", "tributi", "urp", "protocollo", "servizi-sociali")


@dataclass(frozen=True)
class OpeningHours:
    """Local opening hours: mornings on weekdays, and two afternoons (a typical Italian town hall)."""

    mornings: tuple[int, ...] = (0, 1, 2, 3, 4)
    morning: tuple[time, time] = (time(8, 30), time(13, 0))
    afternoons: tuple[int, ...] = (1, 3)
    afternoon: tuple[time, time] = (time(14, 30), time(16, 30))

    def intervals(self, day: date) -> list[tuple[time, time]]:
        spans = []
        if day.weekday() in self.mornings:
            spans.append(self.morning)
        if day.weekday() in self.afternoons:
            spans.append(self.afternoon)
        return spans


@dataclass(frozen=True)
class ServicePointProfile:
    """One simulated service point with its kiosk and the mood of its citizens."""

    id: str
    org: str
    kiosk_id: str
    mix: tuple[float, float, float] = (0.81, 0.13, 0.06)
    daily_mean: float = 30.0
    services: tuple[str, ...] = ()
    reasons: tuple[str, ...] = DEFAULT_REASONS
    reason_share: float = 0.6
    channel: Channel = Channel.COUNTER
    hours: OpeningHours = field(default_factory=OpeningHours)


def demo_fleet(count: int, org: str = "demo", seed: int = 1, daily_mean: float = 30.0) -> list[ServicePointProfile]:
    """`count` service points; the third of every ten deliberately below target (few greens, many reds),
    so that even the three-kiosk demo has one."""
    rng = random.Random(seed)
    points = []
    for i in range(1, count + 1):
        if i % 10 == 3:
            mix = (0.45, 0.2, 0.35)
        else:
            green = rng.uniform(0.75, 0.93)
            red = rng.uniform(0.02, 0.08)
            mix = (green, 1 - green - red, red)
        services = tuple(rng.sample(SERVICES, k=rng.randint(1, 3)))
        points.append(
            ServicePointProfile(
                id=f"{org}-sportello-{i}",
                org=org,
                kiosk_id=f"{org}-k{i}",
                mix=mix,
                daily_mean=daily_mean,
                services=services,
            )
        )
    return points


@dataclass(frozen=True)
class Visit:
    """One citizen's judgment: what the kiosk will turn into a rating."""

    point: ServicePointProfile
    at: datetime
    face: Face
    service: str | None
    reason: str | None


def visits_on(point: ServicePointProfile, day: date, zone: ZoneInfo, rng: random.Random) -> list[Visit]:
    """The day's visits to one service point, in time order (local opening hours, DST-aware)."""
    spans = point.hours.intervals(day)
    if not spans:
        return []
    open_seconds = [
        (datetime.combine(day, end, zone) - datetime.combine(day, begin, zone)).total_seconds() for begin, end in spans
    ]
    total = sum(open_seconds)
    count = _poisson(rng, point.daily_mean * total / (4.5 * 3600))
    out = []
    for _ in range(count):
        offset = rng.uniform(0, total)
        for (begin, _end), seconds in zip(spans, open_seconds, strict=True):
            if offset < seconds:
                at = datetime.combine(day, begin, zone) + timedelta(seconds=offset)
                break
            offset -= seconds
        face, reason_index = judge(point, rng)
        reason = None if reason_index is None else point.reasons[reason_index]
        service = rng.choice(point.services) if point.services else None
        out.append(Visit(point, at, face, service, reason))
    out.sort(key=lambda v: v.at)
    return out


def judge(point: ServicePointProfile, rng: random.Random) -> tuple[Face, int | None]:
    """A face by the point's mood and, after red, maybe a reason (its index in `point.reasons`)."""
    face = rng.choices(FACES, weights=point.mix)[0]
    reason = None
    if face is Face.NEGATIVE and point.reasons and rng.random() < point.reason_share:
        reason = rng.randrange(len(point.reasons))
    return face, reason


@dataclass(frozen=True)
class Citizen:
    """What one citizen does at a button kiosk, live."""

    face: Face
    reason: int | None
    """Index of the reason button pressed after red (None: skip)."""
    mash: int = 0
    """Extra presses of the same face in a burst (a child hammering, an angry citizen): all within the cooldown."""


def next_citizen(point: ServicePointProfile, rng: random.Random, mash_share: float = 0.03) -> Citizen:
    face, reason = judge(point, rng)
    mash = rng.randint(3, 15) if rng.random() < mash_share else 0
    return Citizen(face, reason, mash)


def is_open(point: ServicePointProfile, at: datetime, zone: ZoneInfo) -> bool:
    """Whether the service point's opening hours include `at` (in the organisation's local time)."""
    local = at.astimezone(zone)
    return any(begin <= local.time() < end for begin, end in point.hours.intervals(local.date()))


def _poisson(rng: random.Random, mean: float) -> int:
    """Poisson draw (normal approximation above 50, where it is indistinguishable for our purpose)."""
    if mean <= 0:
        return 0
    if mean > 50:
        return max(0, round(rng.gauss(mean, mean**0.5)))
    limit, k, product = pow(2.718281828459045, -mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k
