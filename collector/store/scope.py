"""Which organisations a caller may read or change, as every store function that touches them takes it.

The API builds one from the caller's key (`collector.api.scope`); the operator CLI and the collector's own
work use `EVERYWHERE`. Store queries add the condition `(%(scope_org)s::text IS NULL OR <org column> =
%(scope_org)s)` with `**scope.params`, so an object of another organisation is simply not found: the same
answer as one that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class OrgScope:
    org: str | None = None
    """The one organisation in scope, or None for all of them."""

    def allows(self, org: str | None) -> bool:
        return self.org is None or self.org == org

    @property
    def params(self) -> dict[str, str | None]:
        """The named parameter `scope_org` of the condition."""
        return {"scope_org": self.org}


EVERYWHERE = OrgScope()
