"""What the enrolment screen says (drawn Italian first with English under it: `kiosk.touch.bilingual`)."""

from __future__ import annotations

from i18n import N_
from kiosk.core.enrol.enroller import EnrolState, Phase

# Translators: the screen of a new kiosk that waits for its one-time enrolment code (for the installer).
TITLE = N_("Waiting for enrolment")
TYPE_CODE = N_("Type the enrolment code, or scan its QR code.")
CODE_FILE = N_("Or put it in the file {file} on the boot partition.")
CHECKING = N_("Checking the code with the collector...")
NOT_A_CODE = N_("This is not an enrolment code: it has 16 digits.")
NO_URL = N_("No collector address: scan the code's QR code, or set the enrolment URL in the settings.")
UNKNOWN = N_("No such code: check the digits.")
USED = N_("This code has already been used: ask for a new one.")
EXPIRED = N_("This code has expired: ask for a new one.")
REVOKED = N_("This code has been revoked: ask for a new one.")
REFUSED = N_("The collector refused the code: {detail}")
RETRYING = N_("Cannot reach the collector: trying again in {seconds} s.")
ENROLLED = N_("Enrolled as kiosk {kiosk}: starting...")
REFUSALS = {
    "enrolment-code-unknown": UNKNOWN,
    "enrolment-code-used": USED,
    "enrolment-code-expired": EXPIRED,
    "enrolment-code-revoked": REVOKED,
}


def status(state: EnrolState, seconds: int) -> tuple[str, dict[str, object]]:
    """The message for a state, and its values; ("", {}) while simply waiting."""
    if state.phase is Phase.CHECKING:
        return CHECKING, {}
    if state.phase is Phase.INVALID:
        return NOT_A_CODE, {}
    if state.phase is Phase.NO_URL:
        return NO_URL, {}
    if state.phase is Phase.REFUSED:
        known = REFUSALS.get(state.kind)
        return (known, {}) if known else (REFUSED, {"detail": state.detail[:120]})
    if state.phase is Phase.RETRYING:
        return RETRYING, {"seconds": seconds}
    if state.phase is Phase.ENROLLED:
        return ENROLLED, {"kiosk": state.kiosk}
    return "", {}
