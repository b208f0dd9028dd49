"""Named parameters for statements built from parts, in several functions or modules.

Each part adds its values under a name and puts the placeholder it gets back (`%(name)s`) in its SQL, so
no part needs to know where the others put theirs, and nothing depends on the order they are joined in.
"""

from __future__ import annotations

from psycopg import sql


class Params(dict[str, object]):
    def add(self, name: str, value: object) -> sql.Placeholder:
        """The placeholder of `value` under `name`; a name given again must carry the same value."""
        if name in self and self[name] != value:
            raise ValueError(f"query parameter {name!r} given two different values")
        self[name] = value
        return sql.Placeholder(name)
