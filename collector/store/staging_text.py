"""A rating's line in the COPY text format of `staging_ratings` (`collector.store.ratings`).

Every field was validated by the protocol models (slugs, enums, UUIDs, integers, ISO times), so none can hold
a tab, newline or backslash: the line needs no escaping, and building it is several times cheaper than
adapting values one by one. Built when a message is classified, on the thread that reads the broker, not
by the writer that holds the batch's transaction open (`collector.ingest.messages.RatingIn`).
"""

from __future__ import annotations

from datetime import datetime

from protocol import Rating

NULL = "\\N"
"""NULL in COPY's text format."""


def copy_line(org: str, r: Rating, received_at: datetime) -> str:
    """The columns of `ratings.STAGED`, in that order."""
    return (
        f"{r.event_id}\t{org}\t{r.kiosk_id}\t{r.seq}\t{r.service_point}\t{r.service or NULL}\t"
        f"{r.channel.value}\t{r.face.value}\t{r.reason or NULL}\t{r.pressed_at.isoformat()}\t"
        f"{received_at.isoformat()}\t{'t' if r.clock.synced else 'f'}\t{r.clock.boot_id}\t"
        f"{r.clock.uptime_ms}\t{r.instance or NULL}\n"
    )
