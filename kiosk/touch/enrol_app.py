"""The touch kiosk before it is enrolled: a screen that says so, and a large keypad for the code.

The code is typed on the keypad (touch or mouse), on a keyboard, or by a USB QR scanner, which types the
QR's whole line and Enter (`protocol.enrolment.parse_entry` finds the code in it). Everything the enroller
tells arrives on its thread and is drawn on the UI thread. Once enrolled, the app stops and the program
starts again as an ordinary kiosk (`kiosk.core.enrol.boot.restart`).
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.floatlayout import FloatLayout

from kiosk.core.enrol.enroller import Enroller, EnrolState, Phase
from kiosk.core.enrol.settings import EnrolSettings
from kiosk.touch import enrol_texts as texts
from kiosk.touch.bilingual import aside, both
from kiosk.touch.keypad import BACKSPACE, ENTER, ESCAPE, NUMPAD_ENTER
from kiosk.touch.widgets import KEYPAD, key_tile
from protocol.enrolment import CODE_DIGITS, display, parse_entry

KV_DIR = Path(__file__).resolve().parent / "kv"
KV_FILES = ("common.kv", "enrol.kv")
MAX_ENTRY = 300
STOP_AFTER_S = 1.5
"""Enrolled: the message stays this long before the kiosk starts."""


class EnrolRoot(FloatLayout):
    pass


def shown_entry(entry: str) -> str:
    """The field: a whole code as `1234-5678-9012-3456`, digits typed so far in groups with blanks to
    fill, or the end of whatever else was typed (a QR's line)."""
    code, _url = parse_entry(entry)
    if code is not None:
        return display(code)
    if re.fullmatch(r"[0-9\s-]*", entry):
        digits = re.sub(r"\D", "", entry)[:CODE_DIGITS].ljust(CODE_DIGITS, "_")
        return " ".join(digits[i : i + 4] for i in range(0, CODE_DIGITS, 4))
    return entry[-22:]


class EnrolApp(App):
    title = "Mettiamoci la faccia"
    u = NumericProperty(1.0)
    s = NumericProperty(1.0)
    bar = NumericProperty(1.0)
    font_scale = NumericProperty(1.0)
    entry = StringProperty("")
    problem = BooleanProperty(False)
    """The status says something went wrong (drawn in a notice's box)."""

    def __init__(
        self,
        enroller: Enroller,
        enrol: EnrolSettings,
        on_ready: Callable[[], None] | None = None,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.enroller, self.enrol, self.now = enroller, enrol, monotonic
        self.state = EnrolState(Phase.WAITING)
        self._on_ready = on_ready
        self._ui_thread = threading.current_thread()
        self._events: list[Any] = []
        """What this app put on Kivy's clock (one clock per process): cancelled when it stops."""
        enroller.add_listener(self._from_enroller)

    def build(self) -> EnrolRoot:
        for name in KV_FILES:
            path = str(KV_DIR / name)
            if path not in Builder.files:
                Builder.load_file(path)
        root = EnrolRoot()
        root.bind(size=self._resized)
        return root

    def on_start(self) -> None:
        Window.bind(on_key_down=self._on_key, on_textinput=self._on_text)
        self._pad()
        self._resized(self.root, self.root.size)
        self._events.append(
            Clock.schedule_interval(lambda _dt: self.refresh() if self.state.phase is Phase.RETRYING else None, 1.0)
        )
        ready = self._on_ready
        if ready is not None:

            def first_frame(*_: object) -> None:
                Window.unbind(on_flip=first_frame)
                ready()

            Window.bind(on_flip=first_frame)

    def on_stop(self) -> None:
        Window.unbind(on_key_down=self._on_key, on_textinput=self._on_text)
        for event in self._events:
            event.cancel()

    # -- input ------------------------------------------------------------------------------------

    def press(self, key: str) -> None:
        """A key of the on-screen keypad."""
        if key == "<":
            self.entry = self.entry[:-1]
        elif key == "OK":
            self.submit()
            return
        else:
            self.entry = (self.entry + key)[:MAX_ENTRY]
        self.refresh()

    def submit(self) -> None:
        if self.state.phase in (Phase.CHECKING, Phase.ENROLLED) or not self.entry.strip():
            return
        self.state = EnrolState(Phase.CHECKING)
        self.enroller.submit(self.entry)
        self.refresh()

    def _on_text(self, _window: Any, text: str) -> None:
        """Characters from a keyboard or a scanner (Enter and Backspace come as keys)."""
        printable = "".join(c for c in text if c.isprintable())
        self.entry = (self.entry + printable)[:MAX_ENTRY]
        self.refresh()

    def _on_key(self, _window: Any, key: int, _scancode: int, _codepoint: str | None, _modifiers: list[str]) -> bool:
        if key == BACKSPACE:
            self.entry = self.entry[:-1]
        elif key in (ENTER, NUMPAD_ENTER):
            self.submit()
        elif key == ESCAPE:
            self.entry = ""
        else:
            return False
        self.refresh()
        return True

    # -- what the enroller tells ------------------------------------------------------------------

    def _from_enroller(self, state: EnrolState) -> None:
        if threading.current_thread() is self._ui_thread:
            self._show(state)
        else:
            Clock.schedule_once(lambda _dt: self._show(state), 0)

    def _show(self, state: EnrolState) -> None:
        self.state = state
        if state.phase in (Phase.REFUSED, Phase.INVALID):
            self.entry = ""
        if state.phase is Phase.ENROLLED:
            self._events.append(Clock.schedule_once(lambda _dt: self.stop(), STOP_AFTER_S))
        self.refresh()

    # -- drawing ----------------------------------------------------------------------------------

    def _resized(self, _root: Any, size: tuple[float, float]) -> None:
        width, height = size
        self.u = max(0.5, min(max(width, height) / 800, min(width, height) / 480))
        self.s = self.bar = self.u
        if self.root is not None:
            ids = self.root.ids
            ids.body.orientation = "vertical" if height > width else "horizontal"
            ids.pad.size_hint_y = 0.75 if height > width else 1  # under the texts: room for a long status
            # The collector's address: at the bottom beside the keypad, under the status above it.
            ids.column.remove_widget(ids.spacer)
            ids.column.add_widget(ids.spacer, index=0 if height > width else 1)
        self.refresh()

    def _pad(self) -> None:
        pad = self.root.ids.pad
        for key in KEYPAD:
            tile = key_tile(key)
            tile.bind(on_press=lambda _t, k=key: self.press(k))
            pad.add_widget(tile)

    def refresh(self) -> None:
        if self.root is None:
            return
        ids, s = self.root.ids, self.s
        ids.title.text = both(texts.TITLE, 28 * s)
        instruction = both(texts.TYPE_CODE, 19 * s)
        where = both(texts.CODE_FILE, 19 * s, file=self.enrol.code_file.name)
        gap = f"[size={round(8 * s)}] [/size]"  # a short line between the two, each with its English
        ids.instruction.text = f"{instruction}\n{gap}\n{where}"
        ids.field.text = shown_entry(self.entry)
        seconds = math.ceil(max(0.0, (self.state.retry_at or 0) - time.monotonic()))
        message, values = texts.status(self.state, seconds)
        ids.status.text = both(message, 19 * s, **values) if message else ""
        if self.state.phase is Phase.RETRYING and self.state.detail:  # the why, for whoever fixes it
            ids.status.text += aside(self.state.detail[:120], 14 * s)
        self.problem = self.state.phase in (Phase.INVALID, Phase.NO_URL, Phase.REFUSED, Phase.RETRYING)
        ids.footer.text = f"Collector: {self.enrol.url}" if self.enrol.url else ""
