"""What the button kiosk's lights and buzzer do, and the legend card that explains it to citizens.

| situation | face lights | buzzer | status light |
|---|---|---|---|
| ready | all three on | | on (online) / slow blink (offline) |
| ready, offline, no status light | all three pulse slowly | | |
| press accepted | the pressed one flashes 3 times, others off | one beep | |
| press ignored (cooldown) | the pressed one flickers fast | two clicks | |
| after red, reasons wired | reason lights blink, red pulses (press it to skip) | | |
| press not stored (disk fault) | all flash fast | long beep | |
"""

from __future__ import annotations

import time
from typing import Any

from gpiozero import PWMLED, Buzzer

from i18n import N_, translator
from protocol import Face

Light = Any
"""A gpiozero `LED` or `PWMLED` (gpiozero ships no type hints)."""
ACCEPTED_PATTERN_S = 0.9
IGNORED_PATTERN_S = 0.25
FAILED_PATTERN_S = 1.7


class Signals:
    def __init__(
        self,
        faces: dict[Face, Light],
        reasons: list[Light],
        status: Light | None = None,
        buzzer: Buzzer | None = None,
    ) -> None:
        self.faces = faces
        self.reasons = reasons
        self.status = status
        self.buzzer = buzzer
        self.restore_due: float | None = None
        """While a pattern plays, the ready state waits until this time (the panel's ticker restores it)."""

    def _all_off(self) -> None:
        for light in [*self.faces.values(), *self.reasons]:
            light.off()

    def ready(self, online: bool) -> None:
        self.restore_due = None
        for light in self.reasons:
            light.off()
        for light in self.faces.values():
            if online or self.status is not None:
                light.on()
            else:
                _slow(light)
        self.link(online)

    def link(self, online: bool) -> None:
        if self.status is None:
            return
        if online:
            self.status.on()
        else:
            _slow(self.status)

    def accepted(self, face: Face) -> None:
        """Three flashes; never cut short by the end of the thank-you (see `restore_due`)."""
        self._all_off()
        if light := self.faces.get(face):
            light.blink(on_time=0.15, off_time=0.15, n=3)
            self.restore_due = time.monotonic() + ACCEPTED_PATTERN_S
        if self.buzzer:
            self.buzzer.beep(on_time=0.12, off_time=0.01, n=1)

    def ignored(self, face: Face) -> None:
        """A fast flicker; `restore_due` tells the panel when to light the ready state again."""
        if light := self.faces.get(face):
            light.blink(on_time=0.04, off_time=0.04, n=3)
            self.restore_due = time.monotonic() + IGNORED_PATTERN_S
        if self.buzzer:
            self.buzzer.beep(on_time=0.03, off_time=0.07, n=2)

    def ask_reason(self, offered: int) -> None:
        self._all_off()
        for light in self.reasons[:offered]:
            light.blink(on_time=0.5, off_time=0.5)
        if red := self.faces.get(Face.NEGATIVE):
            _slow(red)

    def failed(self) -> None:
        for light in [*self.faces.values(), *self.reasons]:
            light.blink(on_time=0.08, off_time=0.08, n=10)
        self.restore_due = time.monotonic() + FAILED_PATTERN_S
        if self.buzzer:
            self.buzzer.beep(on_time=0.8, off_time=0.1, n=1)

    def close(self) -> None:
        for device in [*self.faces.values(), *self.reasons, self.status, self.buzzer]:
            if device is not None:
                device.close()


def _slow(light: Light) -> None:
    if isinstance(light, PWMLED):
        light.pulse(fade_in_time=1.0, fade_out_time=1.0)
    else:
        light.blink(on_time=1.0, off_time=1.0)


LEGEND_TITLE = N_("How it works")
# Translators: the card printed beside a button kiosk, one line per thing its lights and beeps say.
LEGEND = (
    N_("The three buttons are lit: the kiosk is ready. Press the face that describes the service you received."),
    N_("The button you pressed flashes and beeps once: your vote is recorded. Thank you!"),
    N_("A quick flicker and two clicks: the vote is not counted. Votes must be a few seconds apart."),
    N_("After the red face the reason buttons flash: press one to tell us why, or the red face again to skip."),
    N_("Lights pulsing slowly: the network is down. Votes are kept in the kiosk and sent as soon as it is back."),
    N_("All lights flash fast: the vote was not recorded. Please tell the staff."),
)


def legend(languages: tuple[str, ...] = ("it", "en")) -> str:
    """The card printed beside a button kiosk: what its lights and beeps mean, one section per language."""
    sections = []
    for language in languages:
        t = translator(language)
        lines = [f"## {t(LEGEND_TITLE)}", ""]
        lines += [f"- {t(line)}" for line in LEGEND]
        sections.append("\n".join(lines))
    return "\n\n".join(sections) + "\n"
