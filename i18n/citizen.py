"""What a citizen reads at a kiosk, whatever its face (touch screen, web rating page, button card).

Declared once here, so every face shows the same words in the same languages. Labels of the
reasons sent by the collector travel with its configuration; the ones here are for the default
list (and translate those codes into languages the collector's labels lack).
"""

from __future__ import annotations

from i18n.catalogue import N_

# Translators: heading of the screen where a citizen picks the service they came for.
PROMPT_SERVICE = N_("Which service did you use today?")
# Translators: the question of the kiosk, above the three faces.
PROMPT_FACE = N_("How would you rate the service you received?")
HINT_FACE = N_("Touch one of the three faces")
# Translators: after a red face: the citizen may give one reason, or skip.
PROMPT_REASON = N_("Would you like to tell us why?")
SKIP = N_("Skip")
BACK = N_("Back")
THANKS = N_("Thank you!")
THANKS_DETAIL = N_("Your opinion helps us improve.")
# Translators: under "Thank you!", beside a check mark: the vote is safely stored.
RECORDED = N_("Your vote has been recorded.")
# Translators: heading above "Your vote was not recorded..." (a fault of the kiosk, not of the citizen).
SORRY = N_("We are sorry")
# Translators: a press came too soon after the previous vote (the kiosk waits a few seconds between votes).
WAIT = N_("One moment, please: the kiosk is ready again in a few seconds.")
NOT_STORED = N_("Your vote was not recorded. Please tell the staff.")
OUTBOX_FULL = N_("This kiosk cannot take votes right now. Please tell the staff.")

# Translators: the labels under the three faces (green smiling, yellow straight mouth, red sad).
FACES = {
    "positive": N_("Good"),
    "neutral": N_("Fair"),
    "negative": N_("Poor"),
}
"""Face value (protocol.Face) -> label under the face."""

REASONS = {
    "waiting-time": N_("Waiting time"),
    "staff-courtesy": N_("Staff courtesy and helpfulness"),
    "information-clarity": N_("Clarity of information"),
    "must-come-back": N_("Outcome of the request, I have to come back"),
}
"""Default reason codes -> label, in the order the original terminals showed them."""
