"""Checks of settings shared by the kiosk and the collector: variables that name no setting, placeholder secrets.

pydantic-settings ignores a `PREFIX_*` variable it does not know, so a typo (`COLLECTOR_MQTT_HOTS`) would
silently leave the default in force. The kiosk and the collector both refuse to start on one, through this
function; it lives in a package of its own (standard library only) because neither may import the other.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping


def unknown_variables(environ: Mapping[str, str], prefix: str, names: Iterable[str]) -> list[tuple[str, str]]:
    """(variable, problem) for each `prefix`-ed variable of `environ` that is no `prefix + NAME` of `names`,
    the problem naming the closest known variable when one is close, in the variables' order."""
    known = {prefix + name.upper() for name in names}
    found = []
    for variable in sorted(k for k in environ if k.startswith(prefix) and k not in known):
        close = difflib.get_close_matches(variable, known, n=1)
        found.append((variable, "unknown setting" + (f" (did you mean {close[0]}?)" if close else "")))
    return found


PLACEHOLDERS = frozenset({"changeme", "change-me", "password", "secret", "example", ""})


def is_placeholder(secret: str) -> bool:
    """`changeme`, `CHANGE_ME`, `change-me-please`, `secret`: what example files hold, never a real secret.
    A service refuses to start with one (outside the demo, which uses no secrets)."""
    word = secret.strip().lower().replace("_", "-")
    return word in PLACEHOLDERS or word.startswith(("change-me", "changeme"))
