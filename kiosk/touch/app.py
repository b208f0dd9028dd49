"""The touch kiosk's Kivy app: a thin layer over `KioskCore` (kiosk/core/face_api.py).

Everything the core tells (flow steps, accepted or failed presses, the link, new configuration)
arrives through one listener, possibly on another thread, and is applied on the UI thread
(`_from_core`). The UI thread never waits on the network; it touches the disk only through the
core's durable write of a press. Any unexpected error is logged and the screen returns to idle:
a citizen never sees a traceback or a frozen screen.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.base import ExceptionManager
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.graphics.opengl import glFlush
from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.floatlayout import FloatLayout

from i18n import DEFAULT_LANGUAGE, LANGUAGES, translator
from i18n.citizen import NOT_STORED, OUTBOX_FULL, REASONS, WAIT
from kiosk.core.face_api import (
    ConfigChanged,
    Face,
    KioskCore,
    KioskEvent,
    LinkChanged,
    PressAccepted,
    PressFailed,
    PressIgnored,
    ReasonOption,
    Step,
    StepChanged,
)
from kiosk.touch import keypad, maintenance_view, memory, screens  # noqa: F401 - kv rules need the classes registered
from kiosk.touch.recovery import LogAndRecover, guarded
from kiosk.touch.settings import TouchScreen
from kiosk.touch.sounds import Sounds

log = logging.getLogger(__name__)

KV_DIR = Path(__file__).resolve().parent / "kv"
TOPBAR = 96
"""The top bar's height in `bar` units: 82 px buttons, 1.56 cm on a 7-inch 800 x 480 panel (52.5 px/cm)."""
KV_FILES = ("common.kv", "idle.kv", "faces.kv", "services.kv", "reasons.kv", "thanks.kv", "maintenance.kv", "root.kv")
TICK_S = 0.1
IDLE_RESET_S = 30.0
TIDY_AFTER_S = 2.0
"""Idle this long without a touch: the kiosk tidies its memory (`memory.tidy`), once per quiet spell."""
SCREEN_OF = {
    Step.IDLE: "idle",
    Step.SERVICE: "idle",
    Step.FACE: "face",
    Step.REASON: "reason",
    Step.THANK_YOU: "thank_you",
}


class KioskRoot(FloatLayout):
    notice = StringProperty("")
    show_topbar = BooleanProperty(True)


class TouchKioskApp(App):
    title = "Mettiamoci la faccia"
    language = StringProperty(DEFAULT_LANGUAGE)
    font_scale = NumericProperty(1.0)
    u = NumericProperty(1.0)
    """Layout unit: 1 on an 800 x 480 screen, larger on larger ones (either orientation)."""
    s = NumericProperty(1.0)
    """Text unit: `u`, times 1.35 in large-text mode."""
    bar = NumericProperty(1.0)
    """Unit of the top bar (languages, A+): it must fit the width, also on a narrow portrait screen."""
    topbar_h = NumericProperty(TOPBAR)
    """Height of the top bar: its buttons are 1.5 cm tall on a 7-inch 800 x 480 screen."""
    online = BooleanProperty(False)

    def __init__(
        self,
        kiosk: KioskCore,
        screen: TouchScreen,
        on_ready: Callable[[], None] | None = None,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """`monotonic`: the clock of every timeout here (notices, corner taps, the PIN's lock, the
        maintenance screen); tests move it by hand, as `Kiosk`'s clock for the flow's timeouts."""
        super().__init__()
        self.now = monotonic
        self.kiosk = kiosk
        self.screen = screen
        self.keys = screen.keys
        self.sounds = Sounds(enabled=screen.sounds)
        self.last_face = Face.POSITIVE.value
        self.problem = NOT_STORED
        """What the not-stored screen says (the catalogue's NOT_STORED or OUTBOX_FULL)."""
        self._problem_until = 0.0
        self.chosen_service: str | None = None
        self.maintenance = maintenance_view.Maintenance(self)
        self._on_ready = on_ready
        self._ui_thread = threading.current_thread()
        self._last_touch = monotonic()
        self._tidied_after: float | None = None
        """The last touch before the latest tidy: one tidy per quiet spell."""
        self._notice_until = 0.0
        self._handler = LogAndRecover(self)
        self.bind(font_scale=self._rescale, u=self._rescale)
        kiosk.add_listener(self._from_core)

    # -- Kivy life cycle ------------------------------------------------------------------------

    def build(self) -> KioskRoot:
        for name in KV_FILES:
            path = str(KV_DIR / name)
            if path not in Builder.files:  # kv rules are global: loaded once per process
                Builder.load_file(path)
        root = KioskRoot()
        root.bind(size=self._resized)
        return root

    def on_start(self) -> None:
        ExceptionManager.add_handler(self._handler)
        Window.bind(on_key_down=self._on_key, on_touch_down=self._on_any_touch, on_flip=self._frame_done)
        self.font_scale = 1.35 if self.screen.large_text else 1.0
        self.online = self.kiosk.online
        self._resized(self.root, self.root.size)
        self.show(self.kiosk.step)
        Clock.schedule_interval(self._tick, TICK_S)
        Clock.schedule_once(lambda _dt: memory.freeze(), 0)  # the screens are built: out of later collections
        ready = self._on_ready
        if ready is not None:

            def first_frame(*_: object) -> None:  # the idle screen is drawn: ready (systemd, the cold-start bench)
                Window.unbind(on_flip=first_frame)
                ready()

            Window.bind(on_flip=first_frame)

    def on_stop(self) -> None:
        Window.unbind(on_key_down=self._on_key, on_touch_down=self._on_any_touch, on_flip=self._frame_done)
        Clock.unschedule(self._tick)
        ExceptionManager.remove_handler(self._handler)
        memory.unfreeze()

    def _frame_done(self, *_: object) -> None:
        """Each frame drawn now, not later. A swap that shows nothing (SDL's offscreen driver, as in tests
        and bench/) does not make Mesa's software renderer draw: it kept binning frame after frame (2 to
        6 MB each) until its 36 MB scene was full, then drew a dozen at once, a stall of hundreds of
        milliseconds (bench/README.md). After a real display's swap, this flush has nothing left to do."""
        glFlush()

    # -- texts ----------------------------------------------------------------------------------

    def tr(self, message: str, **values: object) -> str:
        return translator(self.language)(message, **values)

    def label(self, labels: dict[str, str]) -> str:
        """A label sent by the collector, in the citizen's language, else Italian, else any."""
        return labels.get(self.language) or labels.get(DEFAULT_LANGUAGE) or next(iter(labels.values()), "")

    def reason_label(self, reason: ReasonOption) -> str:
        if self.language not in reason.labels and reason.code in REASONS:
            return self.tr(REASONS[reason.code])  # a default reason: the catalogue knows every language
        return self.label(reason.labels)

    def service_label(self, service_id: str | None) -> str:
        for service in self.kiosk.flow_config().services:
            if service.id == service_id:
                return self.label(service.labels)
        return ""

    def languages(self) -> list[str]:
        configured = [lang for lang in self.kiosk.flow_config().languages if lang in LANGUAGES]
        return configured or [DEFAULT_LANGUAGE]

    # -- drawing --------------------------------------------------------------------------------

    def _resized(self, _root: Any, size: tuple[float, float]) -> None:
        width, height = size
        self.u = max(0.5, min(max(width, height) / 800, min(width, height) / 480))
        self.bar = max(0.5, min(self.u, width / 800))
        self.topbar_h = self.bar * TOPBAR
        self.refresh()

    def _rescale(self, *_: Any) -> None:
        self.s = self.u * self.font_scale

    @guarded
    def refresh(self) -> None:
        """Redraw what depends on language, configuration or size, on the screen that is up."""
        if self.root is None:
            return
        self.root.ids.topbar.refresh(self)
        current = self.root.ids.screens.current_screen
        current.refresh(self)

    def show(self, step: Step) -> None:
        if self.root is None or self.maintenance.open:
            return
        name = SCREEN_OF[step]
        self.root.show_topbar = name in ("idle", "face")  # the reasons need the room; language is chosen by then
        self.root.ids.screens.current = name
        self.refresh()

    def show_not_stored(self, message: str) -> None:
        """The press was not recorded: a screen of its own (a warning sign, not the thank-you's check
        mark) for `message_s`, then back to the flow's screen (idle: the flow has already gone there)."""
        if self.root is None or self.maintenance.open:
            return
        self.problem = message
        self._problem_until = self.now() + self.screen.message_s
        self.root.show_topbar = False
        self.root.ids.screens.current = "not_stored"
        self.refresh()

    def notify(self, message: str) -> None:
        """A notice over the top bar for a few seconds (a press too soon after the last one)."""
        self.root.notice = self.tr(message)
        self._notice_until = self.now() + self.screen.message_s

    # -- what citizens do -----------------------------------------------------------------------

    @guarded
    def on_face(self, face: str) -> None:
        step = self.kiosk.step
        if step in (Step.IDLE, Step.FACE, Step.THANK_YOU):
            self.kiosk.press_face(Face(face))

    @guarded
    def on_service(self, service: str) -> None:
        if self.kiosk.step in (Step.IDLE, Step.THANK_YOU):
            self.kiosk.begin()
        self.chosen_service = service
        self.kiosk.choose_service(service)

    @guarded
    def on_reason(self, reason: str | None) -> None:
        try:
            self.kiosk.choose_reason(reason)
        except ValueError:  # the list changed under the citizen's finger: the red face counts, without reason
            log.warning("reason %r is no longer offered; recorded without a reason", reason)
            self.kiosk.choose_reason(None)

    @guarded
    def on_back(self) -> None:
        self.kiosk.cancel()

    @guarded
    def choose_language(self, language: str) -> None:
        self.language = language
        self.refresh()

    def toggle_large_text(self) -> None:
        self.font_scale = 1.0 if self.font_scale > 1 else 1.35
        self.refresh()

    def _reset_citizen(self) -> None:
        """The next citizen starts in the default language and text size."""
        self.chosen_service = None
        self.language = DEFAULT_LANGUAGE if DEFAULT_LANGUAGE in self.languages() else self.languages()[0]
        self.font_scale = 1.35 if self.screen.large_text else 1.0

    @guarded
    def _on_key(self, _window: Any, key: int, _scancode: int, _codepoint: str | None, _modifiers: list[str]) -> bool:
        self._last_touch = self.now()
        if self.maintenance.open:
            return self.maintenance.key(key)
        return self.keys and keypad.press(self, key)

    def _on_any_touch(self, _window: Any, touch: Any) -> bool:
        self._last_touch = self.now()
        return self.root is not None and self.maintenance.corner_tap(touch.x, touch.y)

    # -- what the core tells --------------------------------------------------------------------

    def _from_core(self, event: KioskEvent) -> None:
        """Any thread: apply the event on the UI thread (now, if this is it)."""
        if threading.current_thread() is self._ui_thread:
            self._apply(event)
        else:
            Clock.schedule_once(lambda _dt: self._apply(event), 0)

    @guarded
    def _apply(self, event: KioskEvent) -> None:
        if isinstance(event, StepChanged):
            if event.step is Step.IDLE and event.previous is not Step.IDLE:
                self._reset_citizen()
            if event.step is Step.THANK_YOU:
                Clock.schedule_once(lambda _dt: self.sounds.play("thanks"), 0.2)  # after the face's own sound
            self.show(event.step)
        elif isinstance(event, PressAccepted):
            self.last_face = event.rating.face.value
            self.sounds.play(self.last_face)
        elif isinstance(event, PressIgnored):
            if event.why == "cooldown":
                self.notify(WAIT)
        elif isinstance(event, PressFailed):
            self.show_not_stored(OUTBOX_FULL if event.full else NOT_STORED)
        elif isinstance(event, LinkChanged):
            self.online = event.online
        elif isinstance(event, ConfigChanged):
            log.info("configuration revision %s in use", event.config.revision)
            self.refresh()

    def _tick(self, _dt: float) -> None:
        try:
            self.kiosk.tick()
            self.maintenance.tick()
            now = self.now()
            if self.root is not None and self.root.notice and now >= self._notice_until:
                self.root.notice = ""
            if self.root is not None and self.root.ids.screens.current == "not_stored" and now >= self._problem_until:
                self.show(self.kiosk.step)
            idle_for = now - self._last_touch
            default_scale = 1.35 if self.screen.large_text else 1.0
            changed = self.language != DEFAULT_LANGUAGE or self.font_scale != default_scale
            if changed and self.kiosk.step is Step.IDLE and idle_for > IDLE_RESET_S and not self.maintenance.open:
                self._reset_citizen()  # someone chose a language (or A+) and walked away
                self.refresh()
            if self.kiosk.step is Step.IDLE and idle_for > TIDY_AFTER_S and self._tidied_after != self._last_touch:
                self._tidied_after = self._last_touch
                memory.tidy()
        except Exception:
            log.exception("touch kiosk: tick failed")
            self.recover()

    def recover(self) -> None:
        """After an unexpected error: the flow and the screen back to idle, as for a new citizen."""
        try:
            self.maintenance.close()
            self.kiosk.cancel()
            self._reset_citizen()
            self.show(Step.IDLE)
        except Exception:
            log.exception("touch kiosk: could not return to idle")
