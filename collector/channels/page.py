"""The public rating page as HTML: the question, the three faces, the reasons after red, the thank-you.

A plain form (no JavaScript needed), the kiosk's own face drawings as inline SVG, one small stylesheet and
one small script inline under a strict Content-Security-Policy that allows them by their hashes and nothing
else from anywhere. The script (`rate.js`) only makes the same form better: sent without a reload, the next
step in place, a failure said and the choice kept for a retry.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, select_autoescape

from face_art import FACES, INK, face_svg
from i18n import LANGUAGES, N_, language_name, translator
from i18n.citizen import FACES as FACE_LABELS
from i18n.citizen import PROMPT_FACE, PROMPT_REASON, REASONS, SKIP, THANKS, THANKS_DETAIL

# Translators: the web rating page: label of the list of languages at its top.
LANGUAGE = N_("Language")
# Translators: the web rating page, when its link was replaced by a new one (or never existed).
GONE = N_("This rating page is no longer in use.")
GONE_DETAIL = N_("Please use the link or the QR code now shown at the office.")
# Translators: the web rating page, when the rating could not be sent (the page keeps the chosen face).
OFFLINE = N_("No connection: your answer was not sent. Check the connection and try again.")
# Translators: the web rating page, when the server answered "too many requests" (HTTP 429).
LIMITED = N_("Too many answers at this moment: yours was not sent. Please try again in a minute.")
FAILED = N_("Something went wrong: your answer was not sent. Please try again.")
# Translators: the web rating page: the button that sends the same answer again after a failure.
RETRY = N_("Try again")

THANKS_MARK = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100" width="96" height="96" aria-hidden="true">'
    f'<circle cx="50" cy="50" r="46" fill="#3f9e4d" stroke="{INK}" stroke-width="3"/>'
    f'<path d="M 29 52 L 44 67 L 72 36" fill="none" stroke="{INK}" stroke-width="8" stroke-linecap="round"'
    ' stroke-linejoin="round"/></svg>'
)


@cache
def environment() -> Environment:
    return Environment(
        loader=PackageLoader("collector.channels", "templates"),
        autoescape=select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


@cache
def icon() -> str:
    """The green face as the tab's icon, inline: no request for /favicon.ico."""
    return "data:image/svg+xml," + quote(face_svg("positive", 32))


@cache
def css() -> str:
    return (resources.files("collector.channels") / "templates" / "rate.css").read_text(encoding="utf-8").strip()


@cache
def script() -> str:
    return (resources.files("collector.channels") / "templates" / "rate.js").read_text(encoding="utf-8").strip()


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def csp(frame_ancestors: list[str]) -> str:
    """Nothing but this page's own stylesheet and script (by their hashes), requests and forms to itself;
    framed only by the organisation's own sites."""
    parents = " ".join(frame_ancestors) if frame_ancestors else "'none'"
    return (
        f"default-src 'none'; style-src {_sha256(css())}; script-src {_sha256(script())}; connect-src 'self';"
        f" img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors {parents}"
    )


def choose_language(asked: str | None, accept_language: str | None) -> str:
    """`?lang=` when we have it, else the browser's first language we have, else Italian."""
    if asked in LANGUAGES:
        return asked
    weighted = []
    for i, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        code = tag.strip().lower()[:2]
        if code in LANGUAGES and q > 0:
            weighted.append((-q, i, code))
    return min(weighted)[2] if weighted else LANGUAGES[0]


@dataclass(frozen=True)
class Place:
    org_name: str
    service_point_name: str
    service_name: str | None


def _place(place: Place) -> str:
    return " · ".join(p for p in (place.org_name, place.service_point_name, place.service_name) if p)


def render(
    step: str,
    lang: str,
    place: Place,
    *,
    action: str = "",
    key: str = "",
    reasons: list[tuple[str, str, str]] | None = None,
) -> str:
    """`step`: faces, reasons, thanks or gone."""
    t = translator(lang)
    headings = {"faces": PROMPT_FACE, "reasons": PROMPT_REASON, "thanks": THANKS, "gone": GONE}
    details = {"thanks": THANKS_DETAIL, "gone": GONE_DETAIL}
    faces = [{"value": f, "label": t(FACE_LABELS[f]), "svg": face_svg(f, 120)} for f in FACES]
    return (
        environment()
        .get_template("rate.html")
        .render(
            lang=lang,
            step=step,
            css=css(),
            script=script(),
            problems={"offline": t(OFFLINE), "limited": t(LIMITED), "failed": t(FAILED), "retry": t(RETRY)},
            icon=icon(),
            heading=t(headings[step]),
            detail=t(details[step]) if step in details else "",
            place=_place(place),
            action=action,
            key=key,
            faces=faces,
            reasons=[(code, reason_label(code, it, en, lang)) for code, it, en in reasons or []],
            skip=t(SKIP),
            thanks_svg=THANKS_MARK,
            language_label=t(LANGUAGE),
            languages=[(code, language_name(code)) for code in LANGUAGES],
        )
    )


def reason_label(code: str, label_it: str, label_en: str, lang: str) -> str:
    """The organisation's own label in Italian and English; the catalogue's for a default code otherwise."""
    if lang == "it":
        return label_it
    if lang == "en" or code not in REASONS:
        return label_en
    return translator(lang)(REASONS[code])
