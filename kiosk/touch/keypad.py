"""Keys of a USB keypad or switch, for people who cannot use the touch screen: what each key does where.

Digits 1, 2, 3 are the faces (left to right), or the services and the reasons in the order shown
(their tiles carry the number); 0, Enter, Backspace or Esc skip the reason; Backspace or Esc go
back from the faces to the services. Both number rows work: the top row and the numeric keypad.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from face_art import FACES
from kiosk.core.face_api import Step

if TYPE_CHECKING:
    from kiosk.touch.app import TouchKioskApp

DIGITS = {**{48 + n: n for n in range(10)}, **{256 + n: n for n in range(10)}}
"""Kivy key codes of "0".."9" on the top row and on the numeric keypad -> the digit."""
ENTER, NUMPAD_ENTER, ESCAPE, BACKSPACE = 13, 271, 27, 8


def press(app: TouchKioskApp, key: int) -> bool:
    """Do what `key` means on the current step; True: the key was ours."""
    digit = DIGITS.get(key)
    step = app.kiosk.step
    if step is Step.REASON:
        reasons = app.kiosk.offered_reasons()
        if digit is not None and 1 <= digit <= len(reasons):
            app.on_reason(reasons[digit - 1].code)
        elif digit == 0 or key in (ENTER, NUMPAD_ENTER, BACKSPACE, ESCAPE):
            app.on_reason(None)
        return True
    services = app.kiosk.offered_services()
    if services and step in (Step.IDLE, Step.SERVICE, Step.THANK_YOU):
        if digit is not None and 1 <= digit <= len(services):
            app.on_service(services[digit - 1].id)
        return True
    if key in (ESCAPE, BACKSPACE) and step is Step.FACE:
        app.on_back()
    elif digit is not None and 1 <= digit <= len(FACES):
        app.on_face(FACES[digit - 1])
    return True
