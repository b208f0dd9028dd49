"""Storing a batch when one of its messages cannot be stored: isolate it, quarantine it, store the rest.

The batch is split in halves, each stored alone, down to the message that fails (a few more
transactions for one culprit in thousands): that one is quarantined as `store_error` with the error.
Only failures that are the message's fault are isolated: the database refusing the data
(`DataError`, `IntegrityError`) or our own code raising on it (any exception that is not psycopg's).
Anything else (the database unreachable, privileges, a broken schema) is raised to the caller, with
what is left to store, so that nothing is quarantined for the database's sake.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import psycopg
from psycopg.rows import TupleRow

from collector.ingest.messages import Batch, Classified, RatingIn, Rejection, group
from collector.store.writes import WriteResult

log = logging.getLogger(__name__)

Connection = psycopg.Connection[TupleRow]
Write = Callable[[Connection, Batch], WriteResult]
"""Store one batch in one transaction (`collector.store.writes.write_batch` with some options)."""

MESSAGE_ERRORS = (psycopg.DataError, psycopg.IntegrityError)
"""What the database says about the data itself; any other psycopg error is about the database or us."""


def first_line(exc: BaseException) -> str:
    """`DataError: value out of range ...`: the kind of error and its first line."""
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0]}" if text else type(exc).__name__


def caused_by_message(exc: Exception) -> bool:
    return isinstance(exc, MESSAGE_ERRORS) or not isinstance(exc, psycopg.Error)


def store_isolating(
    conn: Connection,
    items: list[Classified],
    write: Write,
    committed: Callable[[list[Classified], Batch, WriteResult], None],
) -> None:
    """Store `items`, isolating those that cannot be stored. `committed(part, batch,
    result)` follows each commit, and the part leaves `items` (in place): what remains there when this
    raises (the database is unreachable, or refuses even the quarantine) is what is left to store."""
    stack = [list(items)]
    try:
        while stack:
            chunk = stack[-1]
            batch = group(chunk)
            try:
                result = write(conn, batch)
            except Exception as exc:
                if not caused_by_message(exc):
                    raise
                if len(chunk) > 1:
                    if len(stack) == 1:
                        log.error("a batch of %d failed (%s); isolating the cause", len(chunk), first_line(exc))
                    half = len(chunk) // 2
                    stack[-1:] = [chunk[half:], chunk[:half]]
                    continue
                batch = Batch(rejections=[_store_error(chunk[0], exc)])
                result = write(conn, batch)
                log.error("quarantined a message that could not be stored: %s", batch.rejections[0].detail)
            stack.pop()
            committed(chunk, batch, result)
    finally:
        items[:] = [item for chunk in reversed(stack) for item in chunk]


def _store_error(item: Classified, exc: Exception) -> Rejection:
    rating = item.rating if isinstance(item, RatingIn | Rejection) else None
    return Rejection(item.inbound, "store_error", first_line(exc)[:500], rating)
