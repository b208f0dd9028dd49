"""What a manager reads wherever a service point's standing is shown: the board, the monthly report, the
public results page and the Grafana dashboards all name the collector's flags (`collector/insight/flags.py`) and a
kiosk's connection with these words, so each is called the same everywhere."""

from __future__ import annotations

from i18n.catalogue import N_

FLAGS = {
    # Translators: a service point's flag: even the favourable end of its share's interval misses the target.
    "below_target": N_("Below target"),
    # Translators: a service point's flag: its shares meet the target (say "meets the target", not "in line").
    "on_target": N_("On target"),
    # Translators: a service point's flag: too few ratings in the period to judge it.
    "not_enough_data": N_("Not enough data"),
}
"""Flag state (collector.insight.flags.FlagState's value) -> its name, as a label."""

KIOSK_CONNECTION = {
    "online": N_("Online"),
    "offline": N_("Offline"),
    # Translators: a kiosk that never said whether it is connected (it may have sent ratings all the same).
    "unknown": N_("Status unknown"),
}
"""A kiosk's connection as its last status message said (`GET /v1/kiosks`' `online`: true, false, null)."""
