"""Kivy markup for the installer's and staff's screens (enrolment, maintenance): Italian first, English
under it, smaller and muted (whoever installs or services a kiosk may not read Italian)."""

from __future__ import annotations

from collections.abc import Callable

from kivy.utils import escape_markup

from face_art import MUTED
from i18n import translator

LANGUAGES = ("it", "en")


def pair(text: Callable[[str], str], size: float, inline: bool = False) -> str:
    """`text(language)` in Italian, then in English under it (`inline`: after it, on the same line)."""
    italian, english = (text(lang) for lang in LANGUAGES)
    between = "  \u00b7  " if inline else "\n"
    return f"{italian}{between}[size={round(size * 0.8)}][color={MUTED}]{english}[/color][/size]"


def both(message: str, size: float, **values: object) -> str:
    """A catalogue message in Italian, then in English under it (`values` escaped for markup)."""
    safe = {k: escape_markup(str(v)) for k, v in values.items()}
    return pair(lambda lang: translator(lang)(message, **safe), size)


def aside(text: str, size: float) -> str:
    """A technical detail under a message (as the collector or the network said it: not translated)."""
    return f"\n[size={round(size)}][color={MUTED}]{escape_markup(text)}[/color][/size]"
