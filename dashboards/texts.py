"""What the dashboards say: Italian first, English alongside, in one place.

The kiosk and board catalogues are gettext (`i18n/`); Grafana's JSON has no gettext, so a panel title
carries both languages in one string, "Italiano / English"."""

from __future__ import annotations

from i18n import manager, translator


def both(italian: str, english: str) -> str:
    """One label in both languages, Italian first."""
    return f"{italian} / {english}"


FLAGS = {state: both(translator("it")(name), translator("en")(name)) for state, name in manager.FLAGS.items()}
"""The collector's flag states (collector/insight/flags.py) as shown: text first, colour only beside it; named as on the
board and in the reports (`i18n/manager.py`, from the catalogue)."""

FLAG_REASONS = {
    "green_share_below_target": both("verdi sotto il minimo", "green share below target"),
    "red_share_above_limit": both("rossi sopra il limite", "red share above limit"),
}

KIOSK_STATES = {
    state: both(translator("it")(name), translator("en")(name)) for state, name in manager.KIOSK_CONNECTION.items()
}

CHANNELS = {
    "counter": both("Sportello", "Counter"),
    "phone": both("Telefono", "Phone"),
    "web": both("Web", "Web"),
}

WEEKDAYS = [
    both("Lun", "Mon"),
    both("Mar", "Tue"),
    both("Mer", "Wed"),
    both("Gio", "Thu"),
    both("Ven", "Fri"),
    both("Sab", "Sat"),
    both("Dom", "Sun"),
]
"""ISO weekdays 1-7."""
