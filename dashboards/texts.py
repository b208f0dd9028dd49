"""What the dashboards say: Italian first, English alongside, in one place.

The kiosk and board catalogues are gettext (`i18n/`); Grafana's JSON has no gettext, so a panel title
carries both languages in one string, "Italiano / English"."""

from __future__ import annotations


def both(italian: str, english: str) -> str:
    """One label in both languages, Italian first."""
    return f"{italian} / {english}"


FLAGS = {
    "below_target": both("Sotto obiettivo", "Below target"),
    "on_target": both("In linea con l'obiettivo", "On target"),
    "not_enough_data": both("Dati insufficienti", "Not enough data"),
}
"""The collector's flag states (collector/flags.py) as shown: text first, colour only beside it."""

FLAG_REASONS = {
    "green_share_below_target": both("verdi sotto il minimo", "green share below target"),
    "red_share_above_limit": both("rossi sopra il limite", "red share above limit"),
}

KIOSK_STATES = {
    "online": both("Collegato", "Online"),
    "offline": both("Scollegato", "Offline"),
    "unknown": both("Mai segnalato", "Never reported"),
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
