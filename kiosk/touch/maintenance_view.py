"""The maintenance screen for staff: asked for by taps in the top-left corner, opened by the PIN.

It shows the kiosk's state (what `KioskCore.state()` reports), read off the UI thread and
refreshed every two seconds, and lets staff leave full screen. It closes by itself after a
minute without a touch. Wrong PINs lock the keypad for a while. Its title and prompts are in
Italian with English under them (an installer may not read Italian); the state is in one of the
two, switched by a button.
"""

from __future__ import annotations

import logging
import math
import threading
from typing import TYPE_CHECKING, Any

from kivy.clock import Clock
from kivy.core.window import Window
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.label import Label
from kivy.uix.widget import Widget

from i18n import N_, language_name, translator
from kiosk import __version__
from kiosk.core.face_api import KioskState, Step
from kiosk.touch.bilingual import LANGUAGES, pair
from kiosk.touch.keypad import BACKSPACE, DIGITS, ENTER, ESCAPE, NUMPAD_ENTER
from kiosk.touch.maintenance import PinLock, PinResult
from kiosk.touch.screens import CANCEL, CLOSE, ENTER_PIN, LEAVE_FULL_SCREEN, LOCKED, WRONG_PIN
from kiosk.touch.widgets import KEYPAD, FramedLabel, Tile, key_tile

if TYPE_CHECKING:
    from kiosk.touch.app import TouchKioskApp

log = logging.getLogger(__name__)

REFRESH_S = 2.0
CORNER = (80, 60)
"""The top-left corner that asks for the PIN, in the top bar's units (width, height)."""
CORNER_TAPS_WINDOW_S = 4.0
ROWS = (
    (N_("Kiosk"), "kiosk"),
    (N_("Service point"), "service_point"),
    (N_("MQTT broker"), "broker"),
    (N_("Ratings waiting for the collector"), "pending"),
    (N_("Last rating number"), "last_seq"),
    (N_("Confirmed by the collector up to"), "watermark"),
    (N_("Configuration"), "config"),
    (N_("Clock"), "clock"),
    (N_("Software version"), "version"),
    (N_("Presses ignored (too close together)"), "ignored"),
    (N_("Last error"), "error"),
)
CONNECTED, NOT_CONNECTED = N_("connected"), N_("not connected")
SYNCED, NOT_SYNCED = N_("synchronised"), N_("not synchronised")
REVISION, LOCAL = N_("revision {revision}"), N_("local settings")
OLDEST = N_("oldest {seconds} s")


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
        self._corner_taps: list[float] = []
        """The lock's remaining whole seconds as last drawn."""

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
        if now - self._last_use > self.app.screen.maintenance_timeout_s:
            self.close()
        elif self.unlocked and now >= self._next_read and not self._reading:
            self._read_state()
        elif not self.unlocked and _whole_seconds(self.lock.locked_for(now)) != self._countdown:
            self.draw()  # the countdown, down to the prompt again when the lock ends

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
            self.typed = self.typed[:-1]
            self.draw()
        return True

    def digit(self, digit: str) -> None:
        self._last_use = self.app.now()
        if self.lock.locked_for(self.app.now()) > 0:
            return
        self.typed = (self.typed + digit)[:8]
        self.message = ""
        self.draw()

    def submit(self) -> None:
        self._last_use = self.app.now()
        result = self.lock.check(self.typed, self.app.now())
        self.typed = ""
        if result is PinResult.OK:
            self.unlocked = True
            self.message = ""
            self._read_state()
        else:
            self.message = WRONG_PIN if result is PinResult.WRONG else ""
            log.warning("maintenance: %s PIN", "wrong" if result is PinResult.WRONG else "locked after a wrong")
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

    def values(self, state: KioskState) -> dict[str, str]:
        tr = self.tr
        pending = str(state.outbox_depth)
        if state.oldest_pending_age_s is not None:
            pending += f" ({tr(OLDEST, seconds=round(state.oldest_pending_age_s))})"
        revision = tr(REVISION, revision=state.config_revision) if state.config_revision is not None else tr(LOCAL)
        return {
            "kiosk": f"{state.kiosk_id} ({state.organisation})",
            "service_point": state.service_point,
            "broker": f"{state.broker}: {tr(CONNECTED if state.online else NOT_CONNECTED)}",
            "pending": pending,
            "last_seq": str(state.last_seq),
            "watermark": str(state.watermark),
            "config": revision + (f" - {state.config_error}" if state.config_error else ""),
            "clock": f"{state.clock_now:%Y-%m-%d %H:%M:%S} UTC, {tr(SYNCED if state.clock_synced else NOT_SYNCED)}",
            "version": state.software_version or __version__,
            "ignored": str(state.ignored_presses),
            "error": state.link_error or "-",
        }

    # -- drawing ----------------------------------------------------------------------------------

    def draw(self) -> None:
        screen = self.app.root.ids.screens.get_screen("maintenance")
        screen.refresh(self.app)
        ids, tr, s = screen.ids, self.tr, self.app.s
        ids.body.clear_widgets()
        ids.actions.clear_widgets()
        self.table = None
        if self.unlocked:
            ids.prompt.text = self.prompt = ""
            ids.body.orientation = "vertical"
            self.table = self._table(s)
            ids.body.add_widget(self.table)
            ids.body.add_widget(Widget())
            ids.actions.add_widget(_tile(language_name(self.other_language()), s, self.switch_language, secondary=True))
            if Window.fullscreen:
                ids.actions.add_widget(_tile(tr(LEAVE_FULL_SCREEN), s, self._leave_full_screen))
            ids.actions.add_widget(_tile(tr(CLOSE), s, self.close, filled=True))
            return
        self._countdown = _whole_seconds(self.lock.locked_for(self.app.now()))
        message = self.message

        def prompt(lang: str) -> str:
            tr_ = translator(lang)
            if self._countdown:
                return tr_(LOCKED, seconds=self._countdown)
            return (tr_(message) + " - " if message else "") + tr_(ENTER_PIN)

        self.prompt = pair(prompt, 22 * s)
        self._pin_pad(ids.body, s)

    def _table(self, s: float) -> GridLayout:
        """The state, a row a fact: label and value side by side, or the value under its label on a
        portrait screen (side by side, the columns are too narrow there for the longer ones). Texts wrap,
        never cut."""
        portrait = self.app.root.height > self.app.root.width
        table = GridLayout(cols=1 if portrait else 2, spacing=(12 * s, (2 if portrait else 5) * s), size_hint_y=None)
        table.bind(minimum_height=table.setter("height"))
        values = self.values(self.state) if self.state else {}
        for label, key in ROWS:
            table.add_widget(_cell(self.tr(label), s, bold=True))
            table.add_widget(_cell(values.get(key, "..."), s, after=8 * s if portrait else 0))
        return table

    def _pin_pad(self, body: BoxLayout, s: float) -> None:
        """The prompt, the typed digits as dots in a field, and the keypad beside them (under them on a
        portrait screen: there the prompt stays under the title). Beside the keypad, the prompt leaves
        its keys the whole height of a landscape screen: on a 7-inch one they need all of it."""
        u = self.app.u
        portrait = self.app.root.height > self.app.root.width
        body.orientation = "vertical" if portrait else "horizontal"
        prompt_label = self.app.root.ids.screens.get_screen("maintenance").ids.prompt
        prompt_label.text = self.prompt if portrait else ""
        side = BoxLayout(orientation="vertical", spacing=14 * u)
        if portrait:
            side.add_widget(Widget())
        else:
            side.add_widget(_prompt(self.prompt, s))
        side.add_widget(PinDots(text="\u2022 " * len(self.typed)))
        side.add_widget(Widget())
        pad = GridLayout(cols=3, spacing=10 * u)
        for key in KEYPAD:
            tile = key_tile(key)
            tile.bind(on_press=lambda _t, k=key: self._key(k))
            pad.add_widget(tile)
        cancel = _tile(pair(lambda lang: translator(lang)(CANCEL), 22 * s), s, self.close, secondary=True)
        cancel.markup = True
        cancel.size_hint_y = None
        cancel.height = 82 * u
        if portrait:
            side.size_hint_y = 0.25
            body.add_widget(side)
            body.add_widget(pad)
            body.add_widget(cancel)
        else:
            side.size_hint_x = 0.7  # beside keys 1 wide: room for the prompt on few lines
            side.add_widget(cancel)
            body.add_widget(side)
            body.add_widget(pad)

    def _key(self, key: str) -> None:
        """A key of the on-screen keypad."""
        if key == "<":
            self._backspace()
        elif key == "OK":
            self.submit()
        else:
            self.digit(key)

    def _backspace(self) -> None:
        self.typed = self.typed[:-1]
        self.draw()

    def _leave_full_screen(self) -> None:
        Window.fullscreen = False
        self.draw()


def _whole_seconds(seconds: float) -> int:
    return math.ceil(seconds)


def _cell(text: str, s: float, bold: bool = False, after: float = 0) -> Label:
    """A cell of the state's table, as tall as its text (wrapped to its width), `after` pixels more."""
    label = Label(text=text, font_size=17 * s, bold=bold, halign="left", valign="top", size_hint_y=None)
    label.bind(
        width=lambda widget, width: setattr(widget, "text_size", (width, None)),
        texture_size=lambda widget, size: setattr(widget, "height", size[1] + after),
    )
    return label


def _prompt(text: str, s: float) -> Label:
    label = Label(text=text, markup=True, font_size=22 * s, halign="center", valign="middle")
    label.bind(width=lambda widget, width: setattr(widget, "text_size", (width, None)))
    return label


class PinDots(FramedLabel):
    """The PIN typed so far, one dot a digit, in a field (kv/maintenance.kv)."""


def _tile(text: str, s: float, action: Any, filled: bool = False, secondary: bool = False) -> Tile:
    tile = Tile(text=text, text_factor=22, filled=filled, secondary=secondary)
    tile.bind(on_press=lambda _t: action())
    return tile
