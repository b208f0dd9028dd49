"""A month of simulated history for reports: an organisation of two sites, counters, a phone line and a web
form, several services, October 2026 (31 days, a 25-hour day in Europe/Rome) with the month before and the
same month a year earlier, bursts marked as misuse, reasons after red faces, and citizens served."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg

from protocol import Channel, Rating
from tests.api.known_data import Press, mark_misuse, press, store
from tests.fixtures.fix_api import Api

ROME = ZoneInfo("Europe/Rome")
ORG = "roma"
SITES = {"roma-centro": "Anagrafe centrale", "roma-eur": "Municipio IX EUR"}
SERVICES = {
    "anagrafe": ("Anagrafe (certificati)", "Registry office (certificates)"),
    "carta-identita": ("Carta d'identità elettronica", "Electronic identity card"),
    "tributi": ("Tributi (IMU, TARI)", "Local taxes (IMU, TARI)"),
}
POINTS: dict[str, tuple[str, str | None, str, tuple[int, int, int]]] = {  # id: (name, site, channel, faces)
    "roma-centro-1": ("Sportello 1", "roma-centro", "counter", (80, 12, 8)),
    "roma-centro-2": ("Sportello 2", "roma-centro", "counter", (45, 20, 35)),
    "roma-eur-1": ("Sportello EUR 1", "roma-eur", "counter", (88, 8, 4)),
    "roma-telefono": ("Numero verde", "roma-centro", "phone", (70, 20, 10)),
    "roma-web": ("Modulo web", None, "web", (75, 15, 10)),
}
REASONS = ("waiting-time", "staff-courtesy", "information-clarity", "must-come-back")


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ROME)


@dataclass
class History:
    presses: list[Press]
    misuse: list[Rating]

    def raw(self, database_url: str, start: datetime, end: datetime) -> dict[str, int]:
        """Counts straight from the raw rows of [start, end): what the report must equal."""
        with psycopg.connect(database_url) as conn:
            row = conn.execute(
                "SELECT count(*) FILTER (WHERE face = 'positive' AND NOT misuse),"
                " count(*) FILTER (WHERE face = 'neutral' AND NOT misuse),"
                " count(*) FILTER (WHERE face = 'negative' AND NOT misuse), count(*) FILTER (WHERE misuse)"
                " FROM ratings WHERE org_id = %s AND pressed_at >= %s AND pressed_at < %s",
                (ORG, start, end),
            ).fetchone()
        assert row is not None
        return dict(zip(("positive", "neutral", "negative", "misuse"), map(int, row), strict=True))


def register(api: Api) -> None:
    api.post("/v1/organisations", {"id": ORG, "name": "Roma Capitale", "timezone": "Europe/Rome"})
    for site, name in SITES.items():
        api.post(f"/v1/organisations/{ORG}/sites", {"id": site, "name": name, "region": "Centro"})
    for service, (it, en) in SERVICES.items():
        api.post(f"/v1/organisations/{ORG}/services", {"id": service, "name": it, "name_en": en})
    for sp, (label, site_id, channel, _mix) in POINTS.items():
        body = {"id": sp, "name": label, "channel": channel, **({"site": site_id} if site_id else {})}
        api.post(f"/v1/organisations/{ORG}/service-points", body)


def _month(rng: random.Random, first: date, n: int, scale: float = 1.0) -> list[Press]:
    start = datetime.combine(first, datetime.min.time(), ROME).astimezone(UTC)
    days = (date(first.year + first.month // 12, first.month % 12 + 1, 1) - first).days
    out = []
    for sp, (_name, _site, channel, mix) in POINTS.items():
        for _ in range(int(n * scale)):
            at = start + timedelta(seconds=rng.randrange(0, days * 86400 - 3600))
            face = rng.choices(["positive", "neutral", "negative"], weights=mix)[0]
            reason = rng.choice([None, *REASONS, REASONS[0]]) if face == "negative" else None
            service = rng.choice([None, *SERVICES]) if channel == "counter" else "anagrafe"
            out.append(
                press(
                    at,
                    face,
                    service_point=sp,
                    kiosk=f"{sp}-k",
                    service=service,
                    reason=reason,
                    channel=Channel(channel),
                )
            )
    return out


def simulate(api: Api, n: int = 120) -> History:
    """Register the organisation and store September and October 2026 and October 2025."""
    register(api)
    rng = random.Random(15)
    presses = _month(rng, date(2026, 10, 1), n) + _month(rng, date(2026, 9, 1), n, 0.8)
    presses += _month(rng, date(2025, 10, 1), n, 0.5)
    # Both 02:30 of the 25-hour day, 2026-10-25, and a press in the last second of the month.
    presses += [
        press(
            datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
            "negative",
            service_point="roma-centro-2",
            kiosk="roma-centro-2-k",
        ),
        press(
            datetime(2026, 10, 25, 1, 30, tzinfo=UTC),
            "positive",
            service_point="roma-centro-2",
            kiosk="roma-centro-2-k",
        ),
        press(
            local(2026, 10, 31, 23, 59) + timedelta(seconds=59),
            "neutral",
            service_point="roma-eur-1",
            kiosk="roma-eur-1-k",
        ),
        press(local(2026, 11, 1, 0, 0), "negative", service_point="roma-eur-1", kiosk="roma-eur-1-k"),
    ]
    store(api.database_url, presses, org=ORG)
    burst_at = local(2026, 10, 14, 10, 0)
    burst = [
        press(
            burst_at + timedelta(seconds=i),
            "negative",
            service_point="roma-centro-1",
            kiosk="roma-centro-1-k",
            reason="waiting-time",
        )
        for i in range(25)
    ]
    misuse = store(api.database_url, burst, org=ORG)
    mark_misuse(api.database_url, misuse)
    return History(presses, misuse)


def faces(presses: Iterable[Press], start: datetime, end: datetime, **match: object) -> Counter[str]:
    return Counter(
        p.face.value for p in presses if start <= p.at < end and all(getattr(p, k) == v for k, v in match.items())
    )
