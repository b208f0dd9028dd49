"""The organisation scope of a request: the one place the API checks a key against what it names.

A key bound to an organisation:
- naming another organisation (a path or query `org`, a new key's `organisation`) gets 403, whether that
  organisation exists or not;
- naming another organisation's object by its own id (a service point, a kiosk, a key) gets 404, as if it
  did not exist: store functions take `principal.scope` and do not find it;
- gets lists of its own organisation's objects only (the same scope, as a filter);
- may not do what concerns the whole installation (new organisations, metrics): 403.
"""

from __future__ import annotations

from typing import Any

from collector.api.problems import ProblemError
from collector.api.security import Principal
from collector.store import reads, registry


def _forbidden(detail: str) -> ProblemError:
    return ProblemError(403, "forbidden", "Not allowed for this key", detail)


def named_org(principal: Principal, org: str) -> str:
    """`org`, named by the caller, if its key may act on it (403 otherwise)."""
    if principal.org is not None and org != principal.org:
        raise _forbidden(f"this key is bound to organisation {principal.org!r}")
    return org


def org_filter(principal: Principal, org: str | None) -> str | None:
    """An optional organisation filter: the key's own organisation when it is bound and names none."""
    return named_org(principal, org) if org is not None else principal.org


def whole_installation(principal: Principal, what: str) -> None:
    """Refuse what concerns every organisation to a key bound to one."""
    if principal.org is not None:
        raise _forbidden(f"{what} concerns every organisation: use a key not bound to one")


async def organisation(conn: Any, principal: Principal, org: str) -> registry.Row:
    """The organisation named in the path (id, name, timezone): 403 for another one, 404 if unknown."""
    found = await registry.organisation(conn, named_org(principal, org))
    if found is None:
        raise ProblemError(404, "not-found", "Organisation not found", f"no organisation {org!r}")
    return found


async def service_point(conn: Any, principal: Principal, sp_id: str) -> reads.ServicePointInfo:
    """A service point named by its id: 404 if unknown or of another organisation."""
    info = await reads.service_point(conn, sp_id, scope=principal.scope)
    if info is None:
        raise ProblemError(404, "not-found", "Service point not found", f"no service point {sp_id!r}")
    return info
