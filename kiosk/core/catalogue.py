"""Every string a citizen reads or hears explained, Italian first and English alongside.

Faces look texts up by key (`text("thanks", "en")`); a language without a
translation falls back to Italian. Reasons sent by the collector carry their own
labels; the ones here are for the default list, used until remote config arrives.
"""

from __future__ import annotations

from typing import NamedTuple


class Text(NamedTuple):
    it: str
    en: str


FALLBACK = "it"

CATALOGUE: dict[str, Text] = {
    "prompt.service": Text("Per quale servizio è venuto?", "Which service did you come for?"),
    "prompt.face": Text("Come valuta il servizio ricevuto?", "How would you rate the service you received?"),
    "prompt.reason": Text("Vuole dirci perché?", "Would you like to tell us why?"),
    "action.skip": Text("Salta", "Skip"),
    "thanks": Text("Grazie!", "Thank you!"),
    "error.not_stored": Text(
        "Il voto non è stato registrato. Avvisi il personale.", "Your vote was not recorded. Please tell the staff."
    ),
    "face.positive": Text("Soddisfatto", "Satisfied"),
    "face.neutral": Text("Sufficiente", "Sufficient"),
    "face.negative": Text("Insoddisfatto", "Dissatisfied"),
    "reason.waiting-time": Text("Tempo di attesa", "Waiting time"),
    "reason.staff-courtesy": Text("Cortesia e disponibilità del personale", "Staff courtesy and helpfulness"),
    "reason.information-clarity": Text("Chiarezza delle informazioni", "Clarity of information"),
    "reason.must-come-back": Text(
        "Esito della richiesta, dovrò tornare", "Outcome of the request, I have to come back"
    ),
    # The button kiosk has no screen: what its lights and beeps mean is printed on a card beside it.
    "legend.title": Text("Come funziona", "How it works"),
    "legend.ready": Text(
        "Luci dei tre pulsanti accese: il chiosco è pronto. Prema la faccina che descrive il servizio ricevuto.",
        "The three buttons are lit: the kiosk is ready. Press the face that describes the service you received.",
    ),
    "legend.accepted": Text(
        "Il pulsante premuto lampeggia e si sente un bip: il voto è registrato. Grazie!",
        "The button you pressed flashes and beeps once: your vote is recorded. Thank you!",
    ),
    "legend.ignored": Text(
        "Uno sfarfallio rapido e due clic: il voto non è contato. Tra un voto e l'altro passano alcuni secondi.",
        "A quick flicker and two clicks: the vote is not counted. Votes must be a few seconds apart.",
    ),
    "legend.reason": Text(
        "Dopo la faccina rossa lampeggiano i pulsanti dei motivi: ne prema uno per dirci perché, "
        "o di nuovo la rossa per saltare.",
        "After the red face the reason buttons flash: press one to tell us why, or the red face again to skip.",
    ),
    "legend.offline": Text(
        "Luci che pulsano lentamente: la rete non c'è. I voti restano nel chiosco e partono appena torna.",
        "Lights pulsing slowly: the network is down. Votes are kept in the kiosk and sent as soon as it is back.",
    ),
    "legend.fault": Text(
        "Tutte le luci lampeggiano veloci: il voto non è stato registrato. Avvisi il personale.",
        "All lights flash fast: the vote was not recorded. Please tell the staff.",
    ),
}


def text(key: str, language: str = FALLBACK) -> str:
    """The text for `key` in `language` (Italian when that language has none); KeyError for an unknown key."""
    entry = CATALOGUE[key]
    return str(getattr(entry, language, None) or getattr(entry, FALLBACK))


def labels(key: str) -> dict[str, str]:
    """All translations of `key`, Italian first."""
    return dict(CATALOGUE[key]._asdict())
