"""Loading the translations: the `.po` files, read with Babel when first needed, kept in memory.

The `.po` files are read directly, so there is no compiled file to forget to rebuild: what a
translator commits is what the kiosk shows. Five small files parse in a few milliseconds.
"""

from __future__ import annotations

import threading
from functools import cache
from pathlib import Path

from babel import Locale
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "messages"
DEFAULT_LANGUAGE = "it"
LANGUAGES = ("it", "en", "fr", "de", "es")
"""Shipped languages, Italian first; each has a complete `.po` (tests/i18n checks)."""
NAMES = {"it": "Italiano", "en": "English", "fr": "Français", "de": "Deutsch", "es": "Español"}
"""Each shipped language's name in itself, as CLDR has it (tests/i18n checks against Babel's): looking
them up in Babel loads its locale data, 9 MB that the touch kiosk would keep for five words."""

_lock = threading.Lock()


def N_(message: str) -> str:
    """Mark `message` for translation where it is declared; it is translated where it is shown."""
    return message


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def _load(language: str) -> dict[str, str]:
    """msgid -> translation of one language, without fallback; empty for a language we do not ship.

    Fuzzy and empty entries are left out: a doubtful translation falls back to Italian.
    """
    path = po_path(language)
    if language not in LANGUAGES or not path.exists():
        return {}
    with path.open("rb") as po:
        catalog = read_po(po, locale=language, domain=DOMAIN, abort_invalid=True)
    return {
        message.id: message.string
        for message in catalog
        if message.id
        and isinstance(message.id, str)
        and isinstance(message.string, str)
        and message.string
        and not message.fuzzy
    }


class Translator:
    """Texts in one language, falling back to Italian, then to the English written in the code."""

    def __init__(self, language: str) -> None:
        self.language = language if language in LANGUAGES else DEFAULT_LANGUAGE
        with _lock:
            self._primary = _load(self.language)
            self._italian = _load(DEFAULT_LANGUAGE)

    def __call__(self, message: str, /, **values: object) -> str:
        """`message` translated; `{name}` placeholders are filled from `values`."""
        text = self._lookup(message)
        return text.format(**values) if values else text

    def _lookup(self, message: str) -> str:
        return self._primary.get(message) or self._italian.get(message) or message

    def has(self, message: str) -> bool:
        """True when this language itself translates `message` (no fallback)."""
        return message in self._primary


@cache
def translator(language: str) -> Translator:
    return Translator(language)


def labels(message: str) -> dict[str, str]:
    """`message` in every shipped language, Italian first (for payloads that carry their own labels)."""
    return {language: translator(language)(message) for language in LANGUAGES}


@cache
def language_name(language: str) -> str:
    """The language's name in itself, as a language chooser shows it ("Italiano", "Français")."""
    if language in NAMES:
        return NAMES[language]
    name = Locale.parse(language).get_display_name(language) or language
    return name[:1].upper() + name[1:]
