"""What each alert looks at, turned into observations per subject (see `collector.alerts.transitions`).

- below_target: each service point's flag over its target's window, as the overview computes it
  (`collector.insight.indicators`), over whole hours only (the current hour is still open: as for reader keys, no
  alert may tell how the last citizen voted). "Not enough data" cannot tell.
- kiosk_silent: a kiosk heard from once, silent for longer than the setting counted in its service point's
  opening hours only (`collector.store.opening_hours`); round the clock where no hours are set.
- quarantine_spike: more refused messages of one reason (per organisation named in the topic) in the window.
- outbox_growing: a kiosk's outbox depth has not gone down for the window and has grown by enough.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from psycopg import AsyncConnection

from collector.alerts.settings import AlertSettings
from collector.alerts.transitions import Observation
from collector.insight import indicators, schedule
from collector.store import alert_events, alert_inputs, kiosks, opening_hours
from collector.store.scope import EVERYWHERE

SILENT_LOOKBACK = timedelta(days=14)
"""Opening time is counted back this far at most: a kiosk quiet that long has been silent long enough."""


def whole_hour(now: datetime) -> datetime:
    return now.replace(minute=0, second=0, microsecond=0)


def _share(s: Any) -> dict[str, float]:
    return {"share": s.share, "low": s.low, "high": s.high}


def flag_detail(row: indicators.PointRow) -> dict[str, Any]:
    a, t = row.assessment, row.target
    return {
        "name": row.name,
        "state": str(a.state),
        "reasons": list(a.reasons),
        "total": a.total,
        "counts": {"positive": row.counts.positive, "neutral": row.counts.neutral, "negative": row.counts.negative,
                   "misuse": row.counts.misuse},
        "shares": {"positive": _share(a.positive), "neutral": _share(a.neutral), "negative": _share(a.negative)},
        "target": {"min_green_share": t.min_green_share, "max_red_share": t.max_red_share,
                   "min_ratings": t.min_ratings, "window_days": t.window_days, "source": t.source},
        "period": {"start": row.start.isoformat(), "end": row.end.isoformat()},
    }  # fmt: skip


async def below_target(conn: AsyncConnection[Any], now: datetime) -> dict[str, Observation]:
    found = await indicators.overview(conn, indicators.Scope(), None, whole_hour(now))
    out = {}
    for row in found.rows:
        state = row.assessment.state
        holds = None if state == "not_enough_data" else state == "below_target"
        out[row.id] = Observation(row.id, holds, row.org, row.site, row.id, detail=flag_detail(row))
    return out


async def kiosk_silent(conn: AsyncConnection[Any], now: datetime, settings: AlertSettings) -> dict[str, Observation]:
    after = timedelta(seconds=settings.alerts_silent_after_s)
    quiet = await alert_inputs.quiet_kiosks(conn, now - after)
    points = sorted({k["service_point_id"] for k in quiet if k["service_point_id"]})
    hours = await opening_hours.schedules(conn, points, scope=EVERYWHERE)
    out = {}
    for k in quiet:
        start = max(k["last_seen_at"], now - SILENT_LOOKBACK)
        found = hours.get(k["service_point_id"] or "")
        known = found is not None and found.schedule.known
        if found is not None and known:
            open_s = schedule.open_minutes(found.schedule, start, now, found.timezone) * 60
        else:
            open_s = (now - start).total_seconds()
        seen = k["last_seen_at"]
        detail = {"last_seen_at": seen.isoformat(), "silent_s": round((now - seen).total_seconds()),
                  "silent_open_s": round(open_s), "threshold_s": settings.alerts_silent_after_s,
                  "opening_hours_known": known}  # fmt: skip
        out[k["id"]] = Observation(k["id"], open_s >= after.total_seconds(), k["org_id"], k["site_id"],
                                   k["service_point_id"], k["id"], detail)  # fmt: skip
    return out


async def quarantine_spike(
    conn: AsyncConnection[Any], now: datetime, settings: AlertSettings
) -> dict[str, Observation]:
    window = timedelta(seconds=settings.alerts_quarantine_window_s)
    out = {}
    for r in await alert_inputs.refused(conn, now, window):
        subject = f"{r['org_id'] or '*'}:{r['reason']}"
        detail = {
            "reason": r["reason"],
            "messages": int(r["messages"]),
            "window_s": settings.alerts_quarantine_window_s,
            "threshold": settings.alerts_quarantine_spike,
        }
        out[subject] = Observation(subject, int(r["messages"]) > settings.alerts_quarantine_spike, r["org_id"],
                                   detail=detail)  # fmt: skip
    return out


async def outbox_growing(conn: AsyncConnection[Any], now: datetime, settings: AlertSettings) -> dict[str, Observation]:
    fleet = await kiosks.fleet(conn, scope=EVERYWHERE, org=None, site=None, service_point=None)
    depths = {k["id"]: int(k["outbox_depth"]) for k in fleet if k["outbox_depth"] is not None}
    lows = await alert_events.watch_outboxes(conn, depths, now)
    window = timedelta(seconds=settings.alerts_outbox_window_s)
    places = await alert_inputs.kiosk_places(conn, list(depths))
    out = {}
    for kiosk, depth in depths.items():
        low, since = lows.get(kiosk, (depth, now))
        holds = depth - low >= settings.alerts_outbox_growth and now - since >= window
        p = places.get(kiosk, {})
        detail = {"depth": depth, "low_depth": low, "since": since.isoformat(), "growth": depth - low}
        out[kiosk] = Observation(kiosk, holds, p.get("org_id"), p.get("site_id"), p.get("service_point_id"), kiosk,
                                 detail)  # fmt: skip
    return out


async def placed(
    conn: AsyncConnection[Any], alert: str, subjects: Iterable[str], now: datetime
) -> dict[str, Observation]:
    """Observations "no longer holds" for firing subjects a condition did not list (a kiosk heard again, a
    reason quiet), with their place, so a site's subscription hears the recovery too."""
    subjects = list(subjects)
    if alert in ("kiosk_silent", "outbox_growing"):
        found = await alert_inputs.kiosk_places(conn, subjects)
        seen = await alert_inputs.last_seen(conn, subjects)
        return {
            k: Observation(k, False, p["org_id"], p["site_id"], p["service_point_id"], k,
                           {"last_seen_at": _iso(seen.get(k))})
            for k, p in found.items()
        }  # fmt: skip
    if alert == "below_target":
        return {
            sp: Observation(sp, False, o, s, sp) for sp, (o, s) in (await alert_events.places(conn, subjects)).items()
        }
    return {}


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None
