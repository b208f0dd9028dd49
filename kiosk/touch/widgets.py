"""Widgets of the touch kiosk: faces drawn from `face_art` on the canvas, tiles, the offline mark, signs.

No emoji and no images: the faces are vector shapes, sharp at any size, the same ones the web
page draws as SVG (`face_art`).
"""

from __future__ import annotations

from typing import Any

from kivy.graphics import Color, Ellipse, Line
from kivy.properties import BooleanProperty, ColorProperty, NumericProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label
from kivy.uix.widget import Widget

from face_art import BOX, FACE_FILL, INK, Circle, face_shapes, hex_rgba


class FaceDrawing(Widget):
    """One face, as large as fits, centred in the widget."""

    face = StringProperty("positive")
    pressed = BooleanProperty(False)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.bind(pos=self.redraw, size=self.redraw, face=self.redraw, pressed=self.redraw)

    @property
    def diameter(self) -> float:
        return float(min(self.width, self.height))

    def redraw(self, *_: object) -> None:
        side = self.diameter * (0.94 if self.pressed else 1.0)
        scale = side / BOX
        left, bottom = self.center_x - side / 2, self.center_y - side / 2

        def at(x: float, y: float) -> tuple[float, float]:
            return left + x * scale, bottom + (BOX - y) * scale  # face_art's y grows downwards

        self.canvas.clear()
        with self.canvas:
            for shape in face_shapes(self.face):
                if isinstance(shape, Circle):
                    cx, cy = at(shape.cx, shape.cy)
                    r = shape.r * scale
                    Color(*hex_rgba(FACE_FILL[self.face] if shape.fill == "face" else INK))
                    Ellipse(pos=(cx - r, cy - r), size=(2 * r, 2 * r))
                    if shape.stroke_width:
                        Color(*hex_rgba(INK))
                        Line(circle=(cx, cy, r), width=max(1.0, shape.stroke_width * scale / 2))
                else:
                    Color(*hex_rgba(INK))
                    points = [c for x, y in shape.points() for c in at(x, y)]
                    Line(points=points, width=max(1.0, shape.width * scale / 2), cap="round", joint="round")


class Framed(Widget):
    """A rounded card with an outline (kv/common.kv), drawn as two filled rounded rectangles, the fill
    inset by the outline's width: every edge is axis-aligned and whole pixels wide. Kivy's thick `Line`
    joins its straight edges to the corners' arcs at a slight slant, and across a wide field that slant
    showed as a step in the outline."""

    fill = ColorProperty((1, 1, 1, 1))
    edge = ColorProperty((0, 0, 0, 1))
    edge_width = NumericProperty(2)
    """In pixels; drawn rounded to whole ones (at least 1)."""
    radius = NumericProperty(10)


class FramedLabel(Framed, Label):
    """A label on a framed card: the enrolment code's field, the PIN's dots, a notice."""


class FaceButton(ButtonBehavior, BoxLayout):
    """A face with its label under it; the whole cell is the target."""

    face = StringProperty("positive")
    label = StringProperty("")
    font_size = NumericProperty(24)


class Tile(ButtonBehavior, Framed, Label):
    """A large rounded button with wrapped text (a service, a reason, a keypad key, skip)."""

    number = StringProperty("")
    """A small number in the corner for keypad users ("" for none)."""
    filled = BooleanProperty(False)
    """Ink background with light text (the chosen language, the PIN's OK) instead of light with ink."""
    border = NumericProperty(3)
    """The outline's width on an 800 x 480 screen (it grows with the screen); a secondary tile's is thinner."""
    text_factor = NumericProperty(24)
    """Font size on an 800 x 480 screen; it grows with the screen (and the large-text mode)."""
    in_bar = BooleanProperty(False)
    """Sized by the top bar's unit (which fits the width), not the screen's, and not enlarged by A+."""
    wrap = BooleanProperty(True)
    """Wrap long text over several lines (a reason); off for one word (a language, a key)."""
    secondary = BooleanProperty(False)
    """An outline on the background, not a white card: a way out (skip, back, cancel), not a choice."""


DISABLED_EDGE = (0.76, 0.75, 0.73, 1)
DISABLED_INK = (0.64, 0.64, 0.63, 1)
"""A disabled key's outline and text (the PIN pad while locked): pale on the background, plainly not a button."""

KEYPAD = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "<", "0", "OK")
"""The on-screen keypad's keys, as a phone's (the PIN and the enrolment code)."""


def key_tile(key: str) -> Tile:
    """One key of an on-screen keypad: the same size and weight on every screen that has one."""
    return Tile(text=key, text_factor=30, wrap=False, filled=key == "OK", bold=key == "OK")


class OfflineMark(Widget):
    """A small, discreet 'no connection' sign (signal bars struck through), for staff, not alarming citizens."""


class Sign(Widget):
    """A drawn sign as large as fits its widget, centred (drawn in kv/common.kv)."""

    side = NumericProperty(0)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.bind(size=lambda _w, size: setattr(self, "side", min(size)))


class CheckMark(Sign):
    """The thank-you's sign: a white check on a calm blue disc. Not the face given: nobody behind the
    citizen should read their vote off the screen, and a big red face reads as an alarm."""


class WarningSign(Sign):
    """An amber triangle with "!": the vote could not be recorded (the kiosk's fault, told to staff)."""
