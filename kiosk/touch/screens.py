"""The screens, one per step of the rating flow (layouts in kv/, texts filled in here from the catalogue).

Each screen's `refresh(app)` rebuilds what depends on the configuration or the language, so a
new remote configuration or a language switch shows at once, on whatever screen is up.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from kivy.properties import BooleanProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.screenmanager import Screen

from face_art import FACES
from i18n import DEFAULT_LANGUAGE, N_, language_name, translator
from i18n.citizen import (
    BACK,
    HINT_FACE,
    PROMPT_FACE,
    PROMPT_REASON,
    PROMPT_SERVICE,
    RECORDED,
    SKIP,
    SORRY,
    THANKS,
    THANKS_DETAIL,
)
from i18n.citizen import FACES as FACE_LABELS
from kiosk.touch.bilingual import pair
from kiosk.touch.widgets import FaceButton, Tile

if TYPE_CHECKING:
    from kiosk.touch.app import TouchKioskApp

MAINTENANCE = N_("Maintenance")
ENTER_PIN = N_("Enter the maintenance PIN")
WRONG_PIN = N_("Wrong PIN")
LOCKED = N_("Too many wrong PINs: the keypad is locked")
# Translators: the maintenance screen, under "Too many wrong PINs"; {time} counts down as minutes:seconds (0:45).
TRY_AGAIN = N_("Try again in {time}")
CANCEL = N_("Cancel")
CLOSE = N_("Close")
LEAVE_FULL_SCREEN = N_("Leave full screen")


def portrait(app: TouchKioskApp) -> bool:
    return bool(app.root is not None and app.root.height > app.root.width)


class TopBar(BoxLayout):
    """Languages and A+, on the screens that have them. Hidden, it is transparent and lets touches
    through; it is not `disabled`, which would make every label in it render its text anew each time
    (milliseconds on the way from a touch to the thank-you)."""

    shown = BooleanProperty(True)
    languages: tuple[str, ...] = ()
    """The languages the buttons are for now."""

    def on_touch_down(self, touch: Any) -> bool:
        return bool(self.shown and super().on_touch_down(touch))

    def on_touch_up(self, touch: Any) -> bool:
        return bool(self.shown and super().on_touch_up(touch))

    def refresh(self, app: TouchKioskApp) -> None:
        """One button per configured language (none for one): made anew only when the list changes
        (making Kivy widgets costs milliseconds a touch cannot spare), else only the chosen one moves."""
        bar = app.root.ids.languages  # ids live in the root rule (kv/root.kv)
        languages = app.languages()
        if app.language not in languages:
            app.language = DEFAULT_LANGUAGE if DEFAULT_LANGUAGE in languages else languages[0]
        shown = tuple(languages) if len(languages) > 1 else ()
        if shown != self.languages:
            bar.clear_widgets()
            for lang in shown:
                tile = Tile(text=language_name(lang), text_factor=20, in_bar=True, wrap=False)
                tile.bind(on_press=lambda _t, chosen=lang: app.choose_language(chosen))
                bar.add_widget(tile)
            self.languages = shown
        for tile, lang in zip(reversed(bar.children), shown, strict=True):
            tile.filled = lang == app.language


class FacesRow(BoxLayout):
    """The three faces, left to right (top to bottom on a portrait screen): keys 1, 2, 3."""

    def refresh(self, app: TouchKioskApp) -> None:
        self.orientation = "vertical" if portrait(app) else "horizontal"
        if not self.children:
            for face in FACES:
                button = FaceButton(face=face)
                button.bind(on_press=lambda b: app.on_face(b.face))
                self.add_widget(button)
        for button in self.buttons():
            button.label = app.tr(FACE_LABELS[button.face])
            button.font_size = app.s * 30

    def buttons(self) -> list[FaceButton]:
        return list(reversed(self.children))


class ServiceGrid(GridLayout):
    """Large tiles, one per service offered, in the configured order."""

    shown: tuple[object, ...] = ()
    """What the tiles show now: they are made anew only when it changes (see `TouchKioskApp._language_bar`)."""

    def refresh(self, app: TouchKioskApp) -> None:
        services = app.kiosk.offered_services()
        wanted = (tuple((s.id, app.label(s.labels)) for s in services), app.keys, portrait(app))
        if wanted == self.shown:
            return
        self.shown = wanted
        self.clear_widgets()
        count = max(1, len(services))
        if portrait(app):
            self.cols = 1 if count <= 5 else 2
        else:
            self.cols = count if count <= 3 else (math.ceil(count / 2) if count <= 8 else 4)  # 4: two by two
        self.rows = math.ceil(count / self.cols)
        for number, service in enumerate(services, start=1):
            tile = Tile(text=app.label(service.labels), number=str(number) if app.keys else "", text_factor=28)
            tile.bind(on_press=lambda _t, sid=service.id: app.on_service(sid))
            self.add_widget(tile)


class IdleScreen(Screen):
    """The kiosk at rest: its question, and the faces (or, with several services, the services) at once."""

    def refresh(self, app: TouchKioskApp) -> None:
        ids = self.ids
        choosing = bool(app.kiosk.offered_services())
        ids.question.text = app.tr(PROMPT_SERVICE if choosing else PROMPT_FACE)
        ids.hint.text = "" if choosing else app.tr(HINT_FACE)
        ids.hint.opacity = 0 if choosing else 1
        wanted = ServiceGrid if choosing else FacesRow
        content = ids.content.children[0] if ids.content.children else None
        if not isinstance(content, wanted):
            ids.content.clear_widgets()
            content = wanted()
            ids.content.add_widget(content)
        content.refresh(app)

    def faces(self) -> FacesRow | None:
        content = self.ids.content.children[0] if self.ids.content.children else None
        return content if isinstance(content, FacesRow) else None

    def tiles(self) -> list[Tile]:
        content = self.ids.content.children[0] if self.ids.content.children else None
        return list(reversed(content.children)) if isinstance(content, ServiceGrid) else []


class FaceScreen(Screen):
    """The faces after a service was chosen: the service named, and a way back."""

    def refresh(self, app: TouchKioskApp) -> None:
        ids = self.ids
        ids.question.text = app.tr(PROMPT_FACE)
        ids.service.text = app.service_label(app.chosen_service)
        ids.back.text = f"\u2039  {app.tr(BACK)}"  # a chevron: Roboto has no arrows, and no emoji
        ids.faces.refresh(app)


class ReasonScreen(Screen):
    """After a red face: the configured reasons as cards, and "skip" apart below them, in the secondary
    style of a way out (the red face counts either way). Landscape keeps them to two rows (8 reasons at
    most), so every card stays at least 2 cm tall on a 7-inch screen."""

    shown: tuple[object, ...] = ()

    def refresh(self, app: TouchKioskApp) -> None:
        ids = self.ids
        ids.question.text = app.tr(PROMPT_REASON)
        ids.skip.text = f"{app.tr(SKIP)}  \u203a"
        ids.skip.number = "0" if app.keys else ""
        reasons = app.kiosk.offered_reasons()
        wanted = (tuple((r.code, app.reason_label(r)) for r in reasons), app.keys, portrait(app))
        if wanted == self.shown:
            return
        self.shown = wanted
        grid = ids.reasons
        grid.clear_widgets()
        count = max(1, len(reasons))
        if portrait(app):
            grid.cols = 1 if count <= 5 else 2
        else:
            grid.cols = min(count, 2) if count <= 4 else math.ceil(count / 2)
        grid.rows = math.ceil(count / grid.cols)
        for number, reason in enumerate(reasons, start=1):
            tile = Tile(text=app.reason_label(reason), number=str(number) if app.keys else "", text_factor=22)
            tile.bind(on_press=lambda _t, code=reason.code: app.on_reason(code))
            grid.add_widget(tile)

    def tiles(self) -> list[Tile]:
        """The reasons' tiles, then skip."""
        return [*reversed(self.ids.reasons.children), self.ids.skip]


class ThanksScreen(Screen):
    """Thank you, and that the vote is recorded, beside a check mark; it returns to idle by itself."""

    def refresh(self, app: TouchKioskApp) -> None:
        self.ids.thanks.text = app.tr(THANKS)
        self.ids.recorded.text = app.tr(RECORDED)
        self.ids.detail.text = app.tr(THANKS_DETAIL)


class NotStoredScreen(Screen):
    """A press that could not be recorded (disk full, a broken outbox): said plainly, with a warning sign
    instead of the check mark, for a few seconds; the citizen is asked to tell the staff."""

    def refresh(self, app: TouchKioskApp) -> None:
        self.ids.title.text = app.tr(SORRY)
        self.ids.message.text = app.tr(app.problem)


class MaintenanceScreen(Screen):
    """For staff: a PIN pad, then the kiosk's state (see `TouchKioskApp.open_maintenance`)."""

    def refresh(self, app: TouchKioskApp) -> None:
        self.ids.title.text = pair(lambda lang: translator(lang)(MAINTENANCE), 28 * app.s, inline=True)
