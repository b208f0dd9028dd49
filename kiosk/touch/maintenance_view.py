"""The maintenance screen for staff: asked for by taps in the top-left corner, opened by the PIN.

It shows the kiosk's state (what `KioskCore.state()` reports), read off the UI thread and
refreshed every two seconds, and lets staff leave full screen. It closes by itself after a
minute without a touch. Wrong PINs lock the keypad for a while: its keys greyed and inert, a
notice counting the time down, and the keypad back by itself at the end. Its title and prompts are in
Italian with English under them (an installer may not read Italian); the state is in one of the
two, switched by a button.
"""

from __future__ import annotations

import logging
import math
import threading
from typing import TYPE_CHECKING

from kivy.clock import Clock
from kivy.core.window import Window
from kivy.uix.gridlayout import GridLayout
from kivy.uix.widget import Widget

from i18n import language_name, translator
from kiosk.core.face_api import KioskState, Step
from kiosk.touch import maintenance_layout as layout
from kiosk.touch.bilingual import LANGUAGES, both, pair
from kiosk.touch.keypad import BACKSPACE, DIGITS, ENTER, ESCAPE, NUMPAD_ENTER
from kiosk.touch.maintenance import PinLock, PinResult
from kiosk.touch.screens import CANCEL, CLOSE, ENTER_PIN, LEAVE_FULL_SCREEN, LOCKED, TRY_AGAIN, WRONG_PIN

if TYPE_CHECKING:
    from kiosk.touch.app import TouchKioskApp

log = logging.getLogger(__name__)

REFRESH_S = 2.0
CORNER = (80, 60)
"""The top-left corner that asks for the PIN, in the top bar's units (width, height)."""
CORNER_TAPS_WINDOW_S = 4.0


class Maintenance:
    def __init__(self, app: TouchKioskApp) -> None:
        self.app = app
        screen = app.screen
        pin = screen.maintenance_pin.get_secret_value() if screen.maintenance_pin else None
        self.lock = PinLock(pin, screen.pin_attempts, screen.pin_lockout_s)
        self.open = False
        self.unlocked = False
        self.typed = ""
        self.message = ""
        self.language = LANGUAGES[0]
        """The state's language: Italian, or English at the press of a button."""
        self.prompt = ""
        """What the PIN pad says (markup: Italian, English under it), under the title or beside the keys."""
        self.table: GridLayout | None = None
        """The state's table, while it is shown."""
        self.state: KioskState | None = None
        self._last_use = 0.0
        self._next_read = 0.0
        self._reading = False
        self._countdown = 0
        """The lock's remaining whole seconds as last drawn."""
        self._corner_taps: list[float] = []

    # -- opening and closing ---------------------------------------------------------------------

    def request(self) -> None:
        if not self.lock.enabled:
            log.info("maintenance asked for, but no maintenance PIN is configured")
            return
        if self.app.kiosk.step is not Step.IDLE:
            self.app.kiosk.cancel()
        self.open, self.unlocked, self.typed, self.message = True, False, "", ""
        self.language = "en" if self.app.language == "en" else LANGUAGES[0]
        self._last_use = self.app.now()
        root = self.app.root
        root.show_topbar = False
        root.ids.screens.current = "maintenance"
        self.draw()

    def close(self) -> None:
        if not self.open:
            return
        self.open = self.unlocked = False
        self.state = None
        self.app.show(self.app.kiosk.step)

    def tick(self) -> None:
        if not self.open:
            return
        now = self.app.now()
        countdown = _whole_seconds(self.lock.locked_for(now))
        if not self.unlocked and self._countdown and not countdown:
            self._last_use = now  # the keypad is back: the whole timeout to type the PIN from now
        if now - self._last_use > self.app.screen.maintenance_timeout_s:
            self.close()  # also while locked: the kiosk goes back to citizens (the lock holds if reopened)
        elif self.unlocked and now >= self._next_read and not self._reading:
            self._read_state()
        elif not self.unlocked and countdown != self._countdown:
            self.draw()  # the countdown, down to the keypad again when the lock ends

    def corner_tap(self, x: float, y: float) -> bool:
        """A touch anywhere: `maintenance_taps` of them in the top-left corner within 4 s ask for the PIN.
        The corner is the top bar's empty left end (no target there: tests/kiosk/touch check)."""
        root, bar = self.app.root, self.app.bar
        if not (x < CORNER[0] * bar and y > root.height - CORNER[1] * bar):
            return False
        now = self.app.now()
        self._corner_taps = [t for t in self._corner_taps if now - t < CORNER_TAPS_WINDOW_S] + [now]
        if len(self._corner_taps) < self.app.screen.maintenance_taps:
            return False
        self._corner_taps.clear()
        self.request()
        return True

    # -- the PIN ----------------------------------------------------------------------------------

    def key(self, key: int) -> bool:
        self._last_use = self.app.now()
        digit = DIGITS.get(key)
        if key == ESCAPE:
            self.close()
        elif not self.unlocked and digit is not None:
            self.digit(str(digit))
        elif not self.unlocked and key in (ENTER, NUMPAD_ENTER):
            self.submit()
        elif not self.unlocked and key == BACKSPACE:
            self._backspace()
        return True

    def locked(self) -> bool:
        return self.lock.locked_for(self.app.now()) > 0

    def digit(self, digit: str) -> None:
        self._last_use = self.app.now()
        if self.locked():
            return
        self.typed = (self.typed + digit)[:8]
        self.message = ""
        self.draw()

    def submit(self) -> None:
        self._last_use = self.app.now()
        if self.locked():
            return  # a keyboard's Enter while locked: as inert as the greyed OK
        result = self.lock.check(self.typed, self.app.now())
        self.typed = ""
        if result is PinResult.OK:
            self.unlocked = True
            self.message = ""
            self._read_state()
        else:
            self.message = WRONG_PIN if result is PinResult.WRONG else ""
            log.warning("maintenance: %s", "wrong PIN" if result is PinResult.WRONG else "wrong PIN, keypad locked")
        self.draw()

    # -- the state --------------------------------------------------------------------------------

    def _read_state(self) -> None:
        """`state()` reads the outbox database: in a thread, never on the UI thread."""
        self._reading = True
        self._next_read = self.app.now() + REFRESH_S

        def read() -> None:
            try:
                state = self.app.kiosk.state()
            except Exception:
                log.exception("maintenance: cannot read the kiosk's state")
                state = None
            Clock.schedule_once(lambda _dt: self._show_state(state), 0)

        threading.Thread(target=read, name="maintenance-state", daemon=True).start()

    def _show_state(self, state: KioskState | None) -> None:
        self._reading = False
        if self.open and self.unlocked:
            self.state = state
            self.draw()

    def tr(self, message: str, **values: object) -> str:
        return translator(self.language)(message, **values)

    def other_language(self) -> str:
        return LANGUAGES[1] if self.language == LANGUAGES[0] else LANGUAGES[0]

    def switch_language(self) -> None:
        self._last_use = self.app.now()
        self.language = self.other_language()
        self.draw()

    # -- drawing ----------------------------------------------------------------------------------

    def draw(self) -> None:
        screen = self.app.root.ids.screens.get_screen("maintenance")
        screen.refresh(self.app)
        ids, tr, s = screen.ids, self.tr, self.app.s
        portrait = self.app.root.height > self.app.root.width
        ids.body.clear_widgets()
        ids.actions.clear_widgets()
        self.table = None
        if self.unlocked:
            ids.prompt.text, ids.prompt.alert = "", False
            self.prompt = ""
            ids.body.orientation = "vertical"
            values = layout.state_values(self.state, tr) if self.state else {}
            self.table = layout.state_table(values, tr, s, portrait)
            ids.body.add_widget(self.table)
            ids.body.add_widget(Widget())
            other = language_name(self.other_language())
            ids.actions.add_widget(layout.action_tile(other, self.switch_language, secondary=True))
            if Window.fullscreen:
                ids.actions.add_widget(layout.action_tile(tr(LEAVE_FULL_SCREEN), self._leave_full_screen))
            ids.actions.add_widget(layout.action_tile(tr(CLOSE), self.close, filled=True))
            return
        self._countdown = _whole_seconds(self.lock.locked_for(self.app.now()))
        locked, message = self._countdown > 0, self.message

        def prompt(lang: str) -> str:
            tr_ = translator(lang)
            return (tr_(message) + " - " if message else "") + tr_(ENTER_PIN)

        if locked:  # each sentence in Italian with its English under it
            left = f"{self._countdown // 60}:{self._countdown % 60:02d}"
            self.prompt = both(LOCKED, 22 * s) + "\n[b]" + both(TRY_AGAIN, 22 * s, time=left) + "[/b]"
        else:
            self.prompt = pair(prompt, 22 * s)
        ids.prompt.alert = locked and portrait
        ids.prompt.text = layout.pin_pad(
            ids.body,
            prompt=self.prompt,
            typed=len(self.typed),
            locked=locked,
            cancel=pair(lambda lang: translator(lang)(CANCEL), 22 * s),
            u=self.app.u,
            s=s,
            portrait=portrait,
            on_key=self._key,
            on_cancel=self.close,
        )

    def _key(self, key: str) -> None:
        """A key of the on-screen keypad."""
        if key == "<":
            self._backspace()
        elif key == "OK":
            self.submit()
        else:
            self.digit(key)

    def _backspace(self) -> None:
        if not self.locked():
            self.typed = self.typed[:-1]
            self.draw()

    def _leave_full_screen(self) -> None:
        Window.fullscreen = False
        self.draw()


def _whole_seconds(seconds: float) -> int:
    return math.ceil(seconds)
