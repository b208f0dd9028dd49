"""The participation rate: ratings / citizens served, over the same periods and the same services.

A rate is only as honest as its denominator. Offices post citizens served for some days or hours, for all
of a service point's services or per service; the rate of a view (a service point, a site, a service, a
channel, the organisation) divides the citizens served in the posts that fall wholly in the view's period
by the ratings (misuse excluded) given in those very periods, at those service points, for those services.
Ratings outside them are not in the rate (`rated` counts those that are; `coverage` says what share of
the view's ratings that is). Nothing posted: the rate is unknown (None), never a guess.

- A view of one service uses the posts made for that service; a post for all services cannot be split.
- A view of one channel counts the ratings of that channel at the service points registered on it (citizens
  served are counted per service point, not per channel).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection

from collector.store import served
from collector.store.served import Coverage


@dataclass(frozen=True, slots=True)
class Participation:
    served: int | None
    """Citizens served in the posted periods; None when nothing was posted for this view."""
    rated: int
    """Ratings given in those periods (misuse excluded)."""
    total: int
    """All the view's ratings in the period, to say how much of them the rate speaks for."""

    @property
    def rate(self) -> float | None:
        return self.rated / self.served if self.served else None

    @property
    def coverage(self) -> float | None:
        """Share of the view's ratings that fall in periods with citizens served."""
        return None if self.served is None or not self.total else self.rated / self.total


UNKNOWN = Participation(None, 0, 0)


class Participations:
    """The participation of any view over one period, from the store's `Coverage` of it (indexed once)."""

    def __init__(self, cov: Coverage, channel_of: Mapping[str, str]) -> None:
        self._channel_of = channel_of
        self._by_point: dict[str, list[tuple[str, int, list[tuple[str, str, int]]]]] = {}
        for (sp, posted_service), n in cov.served.items():
            self._by_point.setdefault(sp, []).append((posted_service, n, cov.rated.get((sp, posted_service), [])))

    def of(
        self, points: Iterable[str], total: int, *, service: str | None = None, channel: str | None = None
    ) -> Participation:
        """The view of `points` (its service points), one `service` or all, one `channel` or all; `total` is
        the view's ratings in the period."""
        served, rated, posted = 0, 0, False
        for sp in points:
            if channel is not None and self._channel_of.get(sp) != channel:
                continue
            for posted_service, n, ratings in self._by_point.get(sp, ()):
                if service is not None and posted_service != service:
                    continue
                posted = True
                served += n
                rated += sum(k for _rs, rc, k in ratings if channel is None or rc == channel)
        return Participation(served if posted else None, rated, total)


async def of_points(
    conn: AsyncConnection[Any],
    rows: Sequence[tuple[str, datetime, datetime, int]],
    *,
    service: str | None = None,
    channel: str | None = None,
) -> dict[str, Participation]:
    """The participation of each (service point, start, end, its ratings in that period), as the overview and a
    service point's summary show it beside the shares."""
    if not rows:
        return {}
    channel_of = await served.channels(conn, [r[0] for r in rows])
    periods: dict[tuple[datetime, datetime], list[tuple[str, int]]] = {}
    for sp, start, end, total in rows:
        periods.setdefault((start, end), []).append((sp, total))
    out = {}
    for (start, end), members in periods.items():
        parts = Participations(await served.coverage(conn, [sp for sp, _ in members], start, end), channel_of)
        for sp, total in members:
            out[sp] = parts.of([sp], total, service=service, channel=channel)
    return out
