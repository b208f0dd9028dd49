"""Enrolment codes and their audit (see collector/enrolment/): create, list, revoke, the one-time
redemption that registers the kiosk, claims the code and writes the audit row in one transaction, and the
housekeeping that deletes codes and audit rows past their retention."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from psycopg import AsyncConnection, Connection

from collector.store import kiosks
from collector.store.registry import RegistryError, Row, not_found, rows
from collector.store.scope import EVERYWHERE, OrgScope

Outcome = Literal["enrolled", "unknown", "used", "expired", "revoked"]
CANDIDATES = 20
"""Codes checked for one lookup (the newest): each check is a slow hash."""
LISTING = """
SELECT c.id, c.org_id AS organisation, c.service_point_id AS service_point, c.kiosk_id, c.services, c.note,
       c.created_at, c.expires_at, c.redeemed_at, c.redeemed_kiosk_id, c.revoked_at, s.state,
       CASE WHEN s.state = 'pending'
            THEN c.replaces OR EXISTS (SELECT 1 FROM kiosks k WHERE k.id = c.kiosk_id AND k.org_id = c.org_id)
            ELSE c.replaces END AS replaces
FROM enrolment_codes c
CROSS JOIN LATERAL (
    SELECT CASE WHEN c.redeemed_at IS NOT NULL THEN 'used' WHEN c.revoked_at IS NOT NULL THEN 'revoked'
                WHEN c.expires_at <= now() THEN 'expired' ELSE 'pending' END AS state
) s
WHERE (%(scope_org)s::text IS NULL OR c.org_id = %(scope_org)s) AND (%(org)s::text IS NULL OR c.org_id = %(org)s)
  AND (%(id)s::bigint IS NULL OR c.id = %(id)s)
ORDER BY c.created_at DESC, c.id DESC
"""
"""`replaces`: the code gives an existing kiosk a new device. The stored fact (what the code was made for; once
used, what its use did), never read back from whether the kiosk exists now: a code for a new kiosk id made that
kiosk when it was used. Only a code still waiting looks at the kiosks too: if its new id has been taken by then
(another code, or by hand), using it will take that kiosk over, and the list must say so."""
LOCK = """
SELECT c.*,
       CASE WHEN c.redeemed_at IS NOT NULL THEN 'used' WHEN c.revoked_at IS NOT NULL THEN 'revoked'
            WHEN c.expires_at <= now() THEN 'expired' ELSE 'pending' END AS state
FROM enrolment_codes c WHERE c.id = %s FOR UPDATE
"""


async def create(
    conn: AsyncConnection[Any],
    lookup: str,
    salt: bytes,
    code_hash: bytes,
    *,
    service_point: str,
    kiosk_id: str | None,
    services: list[str],
    days: float,
    note: str | None,
    scope: OrgScope,
) -> Row:
    """A new code for a service point in scope; `kiosk_id` names the kiosk to give (an existing one of the same
    organisation: its replacement device). Returns the row as `listing` shows it."""
    org = await kiosks.place(conn, service_point, services, scope=scope)
    found: list[Row] = []
    if kiosk_id is not None:
        found = await rows(conn, "SELECT org_id FROM kiosks WHERE id = %s", (kiosk_id,))
        if found and found[0]["org_id"] != org:
            raise RegistryError(409, "conflict", "Already exists", f"kiosk {kiosk_id!r} already exists")
    made = await rows(
        conn,
        "INSERT INTO enrolment_codes (lookup, salt, code_hash, org_id, service_point_id, kiosk_id, replaces, services,"
        " note, expires_at) VALUES (%(lookup)s, %(salt)s, %(hash)s, %(org)s, %(sp)s, %(kiosk)s, %(replaces)s,"
        " %(services)s, %(note)s, now() + %(days)s * interval '1 day') RETURNING id",
        {
            "replaces": bool(found),
            "lookup": lookup,
            "salt": salt,
            "hash": code_hash,
            "org": org,
            "sp": service_point,
            "kiosk": kiosk_id,
            "services": services,
            "note": note,
            "days": days,
        },
    )
    listed = await listing(conn, scope=scope, code_id=int(made[0]["id"]))
    return listed[0]


async def listing(
    conn: AsyncConnection[Any], *, scope: OrgScope, org: str | None = None, code_id: int | None = None
) -> list[Row]:
    """Codes in scope, newest first, with their state (pending, used, expired, revoked); never a hash."""
    return await rows(conn, LISTING, {"org": org, "id": code_id, **scope.params})


async def revoke(conn: AsyncConnection[Any], code_id: int, *, scope: OrgScope, org: str | None = None) -> Row:
    """Revoke a code not yet used; 404 if not in scope, 409 if it was used."""
    found = await listing(conn, scope=scope, org=org, code_id=code_id)
    if not found:
        raise not_found("enrolment code", str(code_id))
    if found[0]["state"] == "used":
        raise RegistryError(409, "conflict", "Already used", f"enrolment code {code_id} was used already")
    await conn.execute("UPDATE enrolment_codes SET revoked_at = coalesce(revoked_at, now()) WHERE id = %s", (code_id,))
    return (await listing(conn, scope=scope, code_id=code_id))[0]


async def candidates(conn: AsyncConnection[Any], lookup: str) -> list[Row]:
    """The newest codes with this lookup, whatever their state: (id, salt, code_hash)."""
    return await rows(
        conn,
        "SELECT id, salt, code_hash FROM enrolment_codes WHERE lookup = %s ORDER BY created_at DESC, id DESC LIMIT %s",
        (lookup, CANDIDATES),
    )


@dataclass(frozen=True)
class Redeemed:
    outcome: Outcome
    code_id: int
    org: str
    kiosk_id: str | None = None
    service_point: str | None = None
    when: datetime | None = None
    """used: when it was used; expired: when it expired; revoked: when."""


async def redeem(conn: AsyncConnection[Any], code_id: int, password_hash: str) -> Redeemed:
    """Use the code once: register its kiosk (or give an existing one this password), mark the code used and
    audit it, in one transaction under the code's row lock, so of two redemptions at once one wins. A code that
    cannot be used is audited with why."""
    async with conn.transaction():
        code = (await rows(conn, LOCK, (code_id,)))[0]
        result: Redeemed
        if code["state"] != "pending":
            when = {"used": code["redeemed_at"], "revoked": code["revoked_at"], "expired": code["expires_at"]}
            result = Redeemed(code["state"], code_id, code["org_id"], when=when[code["state"]])
        else:
            sp = code["service_point_id"]
            kiosk_id = code["kiosk_id"] or await _free_kiosk_id(conn, sp)
            replaces = bool(await rows(conn, "SELECT 1 FROM kiosks WHERE id = %s", (kiosk_id,)))
            if replaces:
                await kiosks.set_password(conn, kiosk_id, password_hash, scope=OrgScope(code["org_id"]))
                await conn.execute("UPDATE kiosks SET service_point_id = %s WHERE id = %s", (sp, kiosk_id))
            else:
                await kiosks.create(conn, kiosk_id, sp, password_hash, list(code["services"]), 3.0, scope=EVERYWHERE)
            await conn.execute(
                "UPDATE enrolment_codes SET redeemed_at = now(), redeemed_kiosk_id = %s, replaces = %s WHERE id = %s",
                (kiosk_id, replaces, code_id),
            )
            result = Redeemed("enrolled", code_id, code["org_id"], kiosk_id, sp)
        await audit(conn, result.outcome, code_id=code_id, org=code["org_id"], kiosk_id=result.kiosk_id)
    return result


async def _free_kiosk_id(conn: AsyncConnection[Any], service_point: str) -> str:
    """`<service point>-k<n>` with the smallest free n; an advisory lock on the stem, to the end of the
    transaction, keeps two enrolments at once from picking the same n."""
    stem = f"{service_point[:54]}-k"
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext('mlf-enrol:' || %s))", (stem,))
    taken = {r["id"] for r in await rows(conn, "SELECT id FROM kiosks WHERE starts_with(id, %s)", (stem,))}
    n = 1
    while f"{stem}{n}" in taken:
        n += 1
    return f"{stem}{n}"


async def audit(
    conn: AsyncConnection[Any], outcome: Outcome, *, code_id: int | None, org: str | None, kiosk_id: str | None
) -> None:
    await conn.execute(
        "INSERT INTO enrolment_audit (code_id, org_id, outcome, kiosk_id) VALUES (%s, %s, %s, %s)",
        (code_id, org, outcome, kiosk_id),
    )


PRUNE_CODES = """
DELETE FROM enrolment_codes
WHERE least(redeemed_at, revoked_at, expires_at) < now() - %(age)s
"""
"""A code is done when it is used, revoked or expired, whichever came first (`least` skips NULLs); a
waiting code is never deleted. Its audit rows keep their outcome (their `code_id` becomes NULL)."""


def prune(conn: Connection[Any], retention_days: int) -> dict[str, int]:
    """Delete codes done more than `retention_days` ago and audit rows that old (0: keep everything);
    rows deleted per table. The collector's housekeeping runs it every hour."""
    if not retention_days:
        return {}
    age = timedelta(days=retention_days)
    with conn.transaction():
        codes = conn.execute(PRUNE_CODES, {"age": age}).rowcount
        audit = conn.execute("DELETE FROM enrolment_audit WHERE at < now() - %(age)s", {"age": age}).rowcount
    return {"enrolment_codes": max(codes, 0), "enrolment_audit": max(audit, 0)}
