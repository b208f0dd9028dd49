"""The one gettext catalogue: complete in every shipped language, current with the code, and loaded as documented."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from i18n import DEFAULT_LANGUAGE, LANGUAGES, LOCALE_DIR, labels, language_name, translator
from i18n.catalogue import NAMES, po_path
from i18n.citizen import FACES, REASONS, THANKS
from kiosk.buttons.signals import legend
from protocol import Face

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "i18n" / "README.md"
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def read(path: Path, language: str | None = None) -> Catalog:
    with path.open("rb") as po:
        return read_po(po, locale=language)


def ids(catalog: Catalog) -> set[str]:
    return {str(message.id) for message in catalog if message.id}


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """The template as the README's `pybabel extract` command makes it from the code today."""
    line = next(line for line in README.read_text(encoding="utf-8").splitlines() if "pybabel extract" in line)
    argv = shlex.split(line)
    output = tmp_path_factory.mktemp("pot") / "messages.pot"
    argv[argv.index("-o") + 1] = str(output)
    argv[0] = str(Path(sys.executable).parent / "pybabel")
    subprocess.run(argv, cwd=ROOT, check=True, capture_output=True)
    return read(output)


def test_shipped_languages_are_the_locale_folders() -> None:
    assert LANGUAGES[0] == DEFAULT_LANGUAGE == "it"
    assert sorted(p.name for p in LOCALE_DIR.iterdir() if p.is_dir()) == sorted(LANGUAGES)


def test_the_template_is_current_with_the_code(extracted: Catalog) -> None:
    committed = read(ROOT / "i18n" / "messages.pot")
    assert ids(extracted) == ids(committed), "run the README's `pybabel extract` command"
    assert len(ids(extracted)) > 40


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_translates_every_text(language: str, extracted: Catalog) -> None:
    catalog = read(po_path(language), language)
    missing = ids(extracted) - ids(catalog)
    obsolete = ids(catalog) - ids(extracted)
    assert not missing, f"{language}: not in the .po (run `pybabel update`): {sorted(missing)}"
    assert not obsolete, f"{language}: no longer in the code (run `pybabel update`): {sorted(obsolete)}"
    for message in catalog:
        if not message.id:
            continue
        assert message.string, f"{language}: {message.id!r} is not translated"
        assert not message.fuzzy, f"{language}: {message.id!r} is fuzzy"
        wanted = sorted(PLACEHOLDER.findall(str(message.id)))
        assert sorted(PLACEHOLDER.findall(str(message.string))) == wanted, f"{language}: {message.id!r}"
        assert not list(message.check(catalog)), f"{language}: {message.id!r}"


def test_lookup_falls_back_to_italian_then_to_the_code() -> None:
    assert translator("fr")(THANKS) == "Merci !"
    assert translator("en")(THANKS) == "Thank you!"
    assert translator("pt")(THANKS) == "Grazie!"  # a language we do not ship: Italian
    assert translator("pt").language == "it"
    assert translator("de")("A text nobody translated") == "A text nobody translated"
    assert translator("it")("Try again in {time}", time="0:30") == "Riprovi tra 0:30"
    assert translator("fr").has(THANKS)
    assert not translator("fr").has("A text nobody translated")


def test_faces_and_default_reasons_are_labelled_in_every_language() -> None:
    assert set(FACES) == {face.value for face in Face}
    assert translator("it")(FACES["positive"]) == "Positivo"
    assert labels(REASONS["waiting-time"]) == {
        "it": "Tempo di attesa",
        "en": "Waiting time",
        "fr": "Temps d'attente",
        "de": "Wartezeit",
        "es": "Tiempo de espera",
    }
    assert [language_name(lang) for lang in LANGUAGES] == ["Italiano", "English", "Français", "Deutsch", "Español"]


def test_the_shipped_languages_names_are_cldrs() -> None:
    """`NAMES` spares the kiosk Babel's locale data; it must say what Babel (CLDR) says."""
    assert set(NAMES) == set(LANGUAGES)
    for language, name in NAMES.items():
        babel_name = Locale.parse(language).get_display_name(language) or ""
        assert name == babel_name[:1].upper() + babel_name[1:]
    assert language_name("pt") == "Português"  # not shipped: from Babel


def test_the_button_kiosk_card_comes_from_the_catalogue() -> None:
    card = legend(("it", "fr"))
    assert card.startswith("## Come funziona\n")
    assert "## Comment ça marche" in card
    assert "la borne est prête" in card


TERMS: dict[str, dict[str, tuple[str, tuple[str, ...]]]] = {
    "it": {"kiosk": ("chiosc", ("totem", "postazion")), "collector": ("collector", ("collettore",))},
    "fr": {"kiosk": ("borne", ("kiosque", "terminal"))},
    "de": {"kiosk": ("terminal", ("kiosk",))},
    "es": {"kiosk": ("quiosco", ("terminal",)), "service point": ("ventanilla", ("mostrador",))},
}
"""One word per thing, in each language: the word chosen (a stem) and the words it must not be mixed with."""


@pytest.mark.parametrize("language", sorted(TERMS))
def test_one_term_per_concept(language: str) -> None:
    """A kiosk is called one thing across a language's catalogue (board, kiosk screens, reports, alerts):
    a reader must not wonder whether "terminal" and "quiosco" are two devices."""
    catalog = read(po_path(language), language)
    for concept, (chosen, others) in TERMS[language].items():
        for message in catalog:
            if not message.id:
                continue
            text = PLACEHOLDER.sub("", str(message.string)).lower()  # {kiosk} is a placeholder, not a word
            for other in others:
                said = re.search(rf"\b{other}", text)  # a word that starts so ("impostazioni" is no "postazione")
                assert not said, f"{language}: {message.id!r} calls the {concept} {other!r}, not {chosen!r}"
        named = [m for m in catalog if m.id and concept in str(m.id).lower()]
        assert named, concept
        assert any(chosen in str(m.string).lower() for m in named), (language, concept)


def test_a_quoted_screen_title_is_the_screens_own() -> None:
    """The board tells an installer what the new kiosk shows: the very words of its enrolment screen."""
    for language in LANGUAGES:
        tr = translator(language)
        assert tr("Waiting for enrolment") in tr(
            'Connect the kiosk to the network and switch it on: it shows "Waiting for enrolment".'
        ), language
