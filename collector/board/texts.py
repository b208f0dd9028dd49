"""Names the board shows for the API's codes (flag states, target sources, channels, roles), for the catalogue."""

from __future__ import annotations

from typing import Any

from jinja2 import pass_context

from collector.board.filters import PRESETS
from i18n import N_
from i18n.citizen import FACES
from i18n.manager import FLAGS, KIOSK_CONNECTION

STATE_NAMES = FLAGS
TARGET_SOURCES = {
    # Translators: where the target that applies was set.
    "service_point": N_("target of this service point"),
    "service": N_("target of the service"),
    "organisation": N_("organisation's target"),
    "default": N_("default target"),
}
CHANNELS = {"counter": N_("Counter"), "phone": N_("Phone"), "web": N_("Web"), "app": N_("App"), "paper": N_("Paper")}
SHOWN_CHANNELS = ("counter", "phone", "web")
"""Channels a service point's page lists even without ratings (app and paper only when they have some)."""
CONNECTION = KIOSK_CONNECTION
"""A kiosk's connection, in its row (the tallies above the table count them in the plural)."""
CONFLICT_REASONS = {
    # Translators: a kiosk's identity conflict: two kiosk outboxes were heard at the same time.
    "two_instances": N_("two devices heard at once"),
    "sequence_reused": N_("the same numbers sent twice"),
    "session_takeover": N_("its connection taken by another device"),
}
GRAIN_NAMES = {"day": N_("day"), "week": N_("week"), "month": N_("month")}
ROLES = {"admin": N_("administrator"), "reader": N_("reader")}


@pass_context
def choices(context: Any, mapping: dict[str, str]) -> list[tuple[str, str]]:
    """(code, translated name) of a mapping of codes to catalogue texts, for a <select>."""
    gettext = context["gettext"]
    return [(code, gettext(text)) for code, text in mapping.items()]


def options(items: list[Any]) -> list[tuple[str, str]]:
    """(id, name) of registry objects, for a <select>."""
    return [(item.id, item.name) for item in items]


@pass_context
def with_query(context: Any, **values: object) -> str:
    """This page's URL with some query parameters replaced."""
    url = context["request"].url.include_query_params(**values)
    return f"{url.path}?{url.query}"


GLOBALS = {
    "options": options,
    "with_query": with_query,
    "state_names": STATE_NAMES,
    "face_names": FACES,
    "target_sources": TARGET_SOURCES,
    "channels": CHANNELS,
    "shown_channels": SHOWN_CHANNELS,
    "role_names": ROLES,
    "grain_names": GRAIN_NAMES,
    "connection_names": CONNECTION,
    "conflict_reasons": CONFLICT_REASONS,
    "presets": PRESETS,
    "choices": choices,
}
