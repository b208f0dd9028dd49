"""The yearly tier: an overview or a summary over whole local years reads `rollup_yearly_points` (or the monthly
rollup when split by service or channel) and answers exactly what the raw rows answer, across New Year's
midnight in local time, with misuse."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg
import pytest

from collector.insight.indicators import Scope, overview
from collector.insight.periods import split
from collector.store import migrate as migrate_module
from collector.store.migrate import migrate
from devstack.postgres import LocalPostgres
from tests.api.known_data import Press, mark_misuse, press, store

ROME = ZoneInfo("Europe/Rome")


def history() -> list[Press]:
    """Four years of a few ratings a week at two counters, with presses a minute either side of local New Year."""
    rng = random.Random(11)
    out = []
    for sp, service in (("sp-1", "anagrafe"), ("sp-2", "tributi")):
        day = datetime(2022, 1, 3, 10, tzinfo=ROME)
        while day.year < 2026:
            face = rng.choices(("positive", "neutral", "negative"), weights=(7, 2, 1))[0]
            out.append(press(day.astimezone(UTC), face, service_point=sp, service=service, kiosk=f"k-{sp}"))
            day += timedelta(days=rng.randint(2, 6), minutes=rng.randint(0, 300))
        for year in (2023, 2024, 2025):
            midnight = datetime(year, 1, 1, tzinfo=ROME)
            for offset in (-1, 1):
                at = (midnight + timedelta(minutes=offset)).astimezone(UTC)
                out.append(press(at, "negative", service_point=sp, service=service, kiosk=f"k-{sp}"))
    return sorted(out, key=lambda p: p.at)


@pytest.fixture
def years(database_url: str) -> str:
    ratings = store(database_url, history())
    mark_misuse(database_url, ratings[::17])
    return database_url


@pytest.mark.parametrize(
    ("start", "end"),
    [((2022, 1, 1), (2026, 1, 1)), ((2022, 3, 15), (2025, 7, 2)), ((2023, 1, 1), (2024, 1, 1))],
)
@pytest.mark.parametrize("service", [None, "anagrafe"])
def test_overview_over_years_equals_the_raw_rows(
    years: str, start: tuple[int, int, int], end: tuple[int, int, int], service: str | None
) -> None:
    period = (date(*start), date(*end))

    async def both() -> tuple[object, object]:
        async with await psycopg.AsyncConnection.connect(years) as conn:
            now = datetime.now(UTC)
            fast = await overview(conn, Scope(service=service), period, now)
            slow = await overview(conn, Scope(service=service), period, now, from_raw_rows=True)
            return [(r.id, r.counts, r.assessment) for r in fast.rows], [
                (r.id, r.counts, r.assessment) for r in slow.rows
            ]

    fast, slow = asyncio.run(both())
    assert fast == slow
    assert fast  # the rows hold ratings


def test_whole_years_come_from_the_yearly_tier() -> None:
    pieces = split(datetime(2022, 3, 15, tzinfo=ROME), datetime(2025, 7, 2, tzinfo=ROME), ROME)
    assert pieces.years == [(date(2023, 1, 1), date(2025, 1, 1))]
    assert pieces.months == [(date(2022, 4, 1), date(2023, 1, 1)), (date(2025, 1, 1), date(2025, 7, 1))]
    assert pieces.days == [(date(2022, 3, 15), date(2022, 4, 1)), (date(2025, 7, 1), date(2025, 7, 2))]
    assert split(datetime(2025, 2, 1, tzinfo=ROME), datetime(2025, 11, 1, tzinfo=ROME), ROME).years == []


def test_ingest_keeps_the_tier_equal_to_the_months(years: str) -> None:
    with psycopg.connect(years) as conn:
        months = conn.execute(
            "SELECT date_trunc('year', month)::date, service_point_id, sum(positive), sum(neutral), sum(negative),"
            " sum(misuse) FROM rollup_monthly_points GROUP BY 1, 2"
        ).fetchall()
        kept = conn.execute(
            "SELECT year, service_point_id, positive, neutral, negative, misuse FROM rollup_yearly_points"
        ).fetchall()
    assert set(kept) == set(months)
    assert len(kept) == 8  # two counters, four years


def test_the_migration_builds_the_tier_from_the_monthly_rollup(
    pg_server: LocalPostgres, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = pg_server.create_database("yearly_tier_migration")
    every = migrate_module.available()
    monkeypatch.setattr(migrate_module, "available", lambda: [m for m in every if m.version < "0101"])
    with psycopg.connect(url) as conn:
        migrate(conn)
        conn.execute("INSERT INTO organisations (id, name) VALUES ('org', 'Org')")
        conn.execute("INSERT INTO service_points (id, org_id, name) VALUES ('sp', 'org', 'SP')")
        conn.execute(
            "INSERT INTO rollup_monthly_points (month, service_point_id, positive, neutral, negative, misuse,"
            " provisional) VALUES ('2024-12-01', 'sp', 5, 1, 1, 0, 0), ('2025-01-01', 'sp', 3, 2, 1, 1, 1),"
            " ('2025-11-01', 'sp', 4, 0, 2, 0, 0)"
        )
        conn.commit()
        monkeypatch.setattr(migrate_module, "available", lambda: every)
        assert "0101" in migrate(conn)
        kept = conn.execute(
            "SELECT year::text, positive, neutral, negative, misuse, provisional FROM rollup_yearly_points ORDER BY 1"
        ).fetchall()
    assert kept == [("2024-01-01", 5, 1, 1, 0, 0), ("2025-01-01", 7, 2, 3, 1, 1)]
