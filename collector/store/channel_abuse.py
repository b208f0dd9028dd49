"""Counts for the channels' abuse limits, kept under keyed hashes only (see `collector.channels.abuse`)."""

from __future__ import annotations

import secrets
from datetime import date, datetime
from typing import Any

from psycopg import AsyncConnection

from collector.store.arrays import array


async def day_secret(conn: AsyncConnection[Any], day: date) -> bytes:
    """The secret of the UTC `day`, drawn by whoever needs it first; the secrets of earlier days are
    deleted, so their hashes can no longer be recomputed from any address."""
    async with conn.transaction():
        await conn.execute("DELETE FROM channel_day_secrets WHERE day < %s", (day,))
        await conn.execute(
            "INSERT INTO channel_day_secrets (day, secret) VALUES (%s, %s) ON CONFLICT (day) DO NOTHING",
            (day, secrets.token_bytes(32)),
        )
        cur = await conn.execute("SELECT secret FROM channel_day_secrets WHERE day = %s", (day,))
        row = await cur.fetchone()
    assert row is not None
    return bytes(row[0])


async def hit(conn: AsyncConnection[Any], counts: dict[bytes, int], window_start: datetime) -> dict[bytes, int]:
    """Add `counts` (subject -> how many more) to this window; each subject's count before them. Earlier
    windows are deleted."""
    subjects = sorted(counts)
    async with conn.transaction():
        await conn.execute("DELETE FROM channel_hits WHERE window_start < %s", (window_start,))
        cur = await conn.execute(
            "INSERT INTO channel_hits AS h (window_start, subject, n)"
            " SELECT %(at)s, s, c FROM unnest(%(subjects)s::bytea[], %(counts)s::integer[]) AS t(s, c) ORDER BY s"
            " ON CONFLICT (window_start, subject) DO UPDATE SET n = h.n + EXCLUDED.n"
            " RETURNING subject, n",
            {
                "at": window_start,
                "subjects": array("\\x" + s.hex() for s in subjects),
                "counts": array(counts[s] for s in subjects),
            },
        )
        after = {bytes(subject): int(n) for subject, n in await cur.fetchall()}
    return {s: after[s] - counts[s] for s in subjects}
