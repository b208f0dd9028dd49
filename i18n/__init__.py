"""One gettext catalogue for the whole project: kiosks today, the managers' board and reports tomorrow.

Texts are written in the code in English (the gettext convention translators' tools expect),
marked with `N_` where they are declared, and translated in `i18n/locale/<lang>/LC_MESSAGES/
messages.po`. Italian is the default language and the fallback of every other one: a text
missing in French is shown in Italian, never left blank. Like `protocol`, this package imports
nothing of ours, so kiosk and collector can both use it. How to translate: i18n/README.md.

    from i18n import N_, translator
    THANKS = N_("Thank you!")
    translator("fr")(THANKS)   # 'Merci !'
"""

from i18n.catalogue import DEFAULT_LANGUAGE, LANGUAGES, LOCALE_DIR, N_, Translator, labels, language_name, translator

__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "LOCALE_DIR", "N_", "Translator", "labels", "language_name", "translator"]
