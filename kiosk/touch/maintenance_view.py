"""The maintenance screen for staff: asked for by taps in the top-left corner, opened by the PIN.

It shows the kiosk's state (what `KioskCore.state()` reports), read off the UI thread and
refreshed every two seconds, and lets staff leave full screen. It closes by itself after a
minute without a touch. Wrong PINs lock the keypad for a while.
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

from i18n import N_
from kiosk import __version__
from kiosk.core.face_api import KioskState, Step
from kiosk.touch.keypad import BACKSPACE, DIGITS, ENTER, ESCAPE, NUMPAD_ENTER
from kiosk.touch.maintenance import PinLock, PinResult
from kiosk.touch.screens import CANCEL, CLOSE, ENTER_PIN, LEAVE_FULL_SCREEN, LOCKED, WRONG_PIN
from kiosk.touch.widgets import Tile

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

    def values(self, state: KioskState) -> dict[str, str]:
        tr = self.app.tr
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
        ids, tr, s = screen.ids, self.app.tr, self.app.s
        ids.body.clear_widgets()
        ids.actions.clear_widgets()
        if self.unlocked:
            ids.prompt.text = ""
            table = GridLayout(cols=2, spacing=(12 * s, 4 * s))
            values = self.values(self.state) if self.state else {}
            for label, key in ROWS:
                table.add_widget(_cell(tr(label), s, bold=True))
                table.add_widget(_cell(values.get(key, "..."), s))
            ids.body.orientation = "horizontal"
            ids.body.add_widget(table)
            if Window.fullscreen:
                ids.actions.add_widget(_tile(tr(LEAVE_FULL_SCREEN), s, self._leave_full_screen))
            ids.actions.add_widget(_tile(tr(CLOSE), s, self.close, filled=True))
            return
        self._countdown = _whole_seconds(self.lock.locked_for(self.app.now()))
        if self._countdown:
            ids.prompt.text = tr(LOCKED, seconds=self._countdown)
        else:
            ids.prompt.text = (tr(self.message) + " - " if self.message else "") + tr(ENTER_PIN)
        self._pin_pad(ids.body, s)

    def _pin_pad(self, body: BoxLayout, s: float) -> None:
        """The typed digits as dots in a field, the keypad beside it (below it on a portrait screen)."""
        u, tr = self.app.u, self.app.tr
        portrait = self.app.root.height > self.app.root.width
        body.orientation = "vertical" if portrait else "horizontal"
        side = BoxLayout(orientation="vertical", spacing=14 * u)
        side.add_widget(Widget())
        side.add_widget(PinDots(text="\u2022 " * len(self.typed)))
        side.add_widget(Widget())
        pad = GridLayout(cols=3, spacing=10 * u)
        for key in ("1", "2", "3", "4", "5", "6", "7", "8", "9", "<", "0", "OK"):
            if key == "<":
                pad.add_widget(_tile(key, s, self._backspace))
            elif key == "OK":
                pad.add_widget(_tile(key, s, self.submit, filled=True))
            else:
                pad.add_widget(_tile(key, s, lambda d=key: self.digit(d)))
        cancel = _tile(tr(CANCEL), s, self.close, secondary=True)
        cancel.size_hint_y = None
        cancel.height = 82 * u
        if portrait:
            side.size_hint_y = 0.25
            body.add_widget(side)
            body.add_widget(pad)
            body.add_widget(cancel)
        else:
            side.size_hint_x = 0.42
            side.add_widget(cancel)
            body.add_widget(side)
            body.add_widget(pad)

    def _backspace(self) -> None:
        self.typed = self.typed[:-1]
        self.draw()

    def _leave_full_screen(self) -> None:
        Window.fullscreen = False
        self.draw()


def _whole_seconds(seconds: float) -> int:
    return math.ceil(seconds)


def _cell(text: str, s: float, bold: bool = False) -> Label:
    label = Label(text=text, font_size=17 * s, bold=bold, halign="left", valign="middle", shorten=True)
    label.bind(size=lambda widget, size: setattr(widget, "text_size", size))
    return label


class PinDots(Label):
    """The PIN typed so far, one dot a digit, in a field (kv/maintenance.kv)."""


def _tile(text: str, s: float, action: Any, filled: bool = False, secondary: bool = False) -> Tile:
    tile = Tile(text=text, text_factor=22, filled=filled, secondary=secondary)
    tile.bind(on_press=lambda _t: action())
    return tile
