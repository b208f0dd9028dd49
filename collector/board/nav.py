"""The board's navigation: one entry per page that has a place in it, in this order.

A later page (the monthly report, alerts, improvement actions) adds its entry here, beside its data
function, its template and its row in tests/board/test_board_access.py."""

from __future__ import annotations

from dataclasses import dataclass

from i18n import N_


@dataclass(frozen=True)
class Entry:
    key: str
    path: str
    title: str
    """A catalogue text, translated where it is shown."""
    roles: tuple[str, ...] = ("admin", "reader")
    """Who sees the entry: the roles its page serves."""


ENTRIES = (
    # Translators: the board's navigation: every service point, worst first.
    Entry("overview", "/board", N_("Service points")),
    # Translators: the board's navigation: the kiosks' health.
    Entry("fleet", "/board/fleet", N_("Kiosks")),
    # Translators: the board's navigation: make a one-time code that enrols a new kiosk (administrators only).
    Entry("enrolment", "/board/enrolment", N_("Enrol a kiosk"), roles=("admin",)),
)
