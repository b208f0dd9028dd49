"""The phone channel's voice flow in TwiML, the de facto format of programmable-voice services, and the
check of their signed requests.

A call: the question (`<Gather>` one digit: 1 satisfied, 2 sufficient, 3 not satisfied, 9 English),
then after 3 the reasons by number (0 skips), then thanks. Every request of the voice service carries
`X-Twilio-Signature`: base64 HMAC-SHA1, keyed by the account's auth token, of the URL it called followed
by each POST parameter's name and value, sorted by name; a request without a valid one is refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from xml.sax.saxutils import escape, quoteattr

from i18n import N_, translator
from i18n.citizen import THANKS, THANKS_DETAIL

DIGIT_FACES = {"1": "positive", "2": "neutral", "3": "negative"}
ENGLISH_DIGIT = "9"
SKIP_DIGIT = "0"
MAX_REASONS = 8
"""Reasons take the digits 1 to 8."""
SAY_LANGUAGE = {"it": "it-IT", "en": "en-GB"}

# Translators: the phone flow, spoken: the question and the keys of the three faces.
QUESTION = N_(
    "How would you rate the service you received? Press 1 if you are satisfied, 2 if it was sufficient, "
    "3 if you are not satisfied."
)
# Translators: the phone flow: always spoken in English (keep it in English).
FOR_ENGLISH = N_("For English, press 9.")
# Translators: the phone flow, after key 3: the reasons follow, one per key.
WHY = N_("Would you like to tell us why? Press the number of the reason, or 0 to skip.")
# Translators: the phone flow: one reason and its key, e.g. "1: waiting time."
REASON_KEY = N_("{digit}: {reason}.")
# Translators: the phone flow, after a key that is not one of the choices.
NOT_A_CHOICE = N_("Sorry, that key is not one of the choices.")
# Translators: the phone flow, when the caller pressed nothing.
NO_ANSWER = N_("We did not receive an answer. Goodbye.")
GOODBYE = N_("Goodbye.")


def signature(auth_token: str, url: str, params: Mapping[str, str]) -> str:
    """The `X-Twilio-Signature` of a POST to `url` with form `params`."""
    payload = url + "".join(f"{name}{params[name]}" for name in sorted(params))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def signed(auth_token: str, url: str, params: Mapping[str, str], given: str | None) -> bool:
    return given is not None and hmac.compare_digest(signature(auth_token, url, params), given)


def _say(text: str, lang: str) -> str:
    return f"<Say language={quoteattr(SAY_LANGUAGE.get(lang, 'it-IT'))}>{escape(text)}</Say>"


def _response(*verbs: str) -> str:
    return '<?xml version="1.0" encoding="UTF-8"?><Response>' + "".join(verbs) + "</Response>"


def _gather(action: str, *says: str) -> str:
    opening = f'<Gather input="dtmf" numDigits="1" timeout="8" action={quoteattr(action)} method="POST">'
    return opening + "".join(says) + "</Gather>"


def ask_face(action: str, lang: str, before: str | None = None) -> str:
    t = translator(lang)
    says = [_say(t(before), lang)] if before else []
    says.append(_say(t(QUESTION), lang))
    if lang != "en":
        says.append(_say(translator("en")(FOR_ENGLISH), "en"))
    return _response(_gather(action, *says), _say(t(NO_ANSWER), lang), "<Hangup/>")


def ask_reason(action: str, lang: str, reasons: list[str]) -> str:
    """`reasons`: labels in `lang`, keyed 1, 2, ... in order."""
    t = translator(lang)
    items = " ".join(t(REASON_KEY, digit=i, reason=label) for i, label in enumerate(reasons, start=1))
    return _response(_gather(action, _say(t(WHY), lang), _say(items, lang)), thank(lang, inner=True), "<Hangup/>")


def thank(lang: str, inner: bool = False) -> str:
    t = translator(lang)
    words = _say(f"{t(THANKS)} {t(THANKS_DETAIL)} {t(GOODBYE)}", lang)
    return words if inner else _response(words, "<Hangup/>")


def redirect(url: str, lang: str) -> str:
    return _response(_say(translator(lang)(NOT_A_CHOICE), lang), f'<Redirect method="POST">{escape(url)}</Redirect>')
