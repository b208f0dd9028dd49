"""The three faces as plain shapes: one description, drawn by the touch kiosk (Kivy) and written as SVG (web).

A top-level package that imports nothing of ours and nothing outside the standard library,
like `protocol` and `i18n`, so the kiosk and the collector's web rating page can both draw
exactly the same faces without depending on each other (or on Kivy). The shapes live in a
100 x 100 box, y downwards (SVG's convention; Kivy flips it). What tells the faces apart is
the mouth's shape, so they are recognised without colour; the colours only add to it.
"""

from face_art.palette import BACKGROUND, CONFIRM, FACE_FILL, INK, MUTED, WARNING, contrast_ratio, hex_rgba
from face_art.shapes import BOX, FACES, Circle, Curve, Shape, face_shapes
from face_art.svg import face_svg

__all__ = [
    "BACKGROUND",
    "BOX",
    "CONFIRM",
    "FACES",
    "FACE_FILL",
    "INK",
    "MUTED",
    "WARNING",
    "Circle",
    "Curve",
    "Shape",
    "contrast_ratio",
    "face_shapes",
    "face_svg",
    "hex_rgba",
]
