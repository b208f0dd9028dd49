"""The faces' geometry: circles and one quadratic curve each, in a 100 x 100 box (y downwards)."""

from __future__ import annotations

from dataclasses import dataclass

BOX = 100.0
FACES = ("positive", "neutral", "negative")
"""In the order they stand, left to right (and keys 1, 2, 3)."""


@dataclass(frozen=True)
class Circle:
    cx: float
    cy: float
    r: float
    fill: str
    """A colour role: "face" (the face's own colour) or "ink"."""
    stroke_width: float = 0.0
    """An ink outline this wide (0: none)."""


@dataclass(frozen=True)
class Curve:
    """A stroked quadratic Bézier curve: a smile, a straight mouth or a frown, by where `control` lies."""

    start: tuple[float, float]
    control: tuple[float, float]
    end: tuple[float, float]
    width: float

    def points(self, segments: int = 24) -> list[tuple[float, float]]:
        """The curve as a polyline, for toolkits that stroke polylines better than curves."""
        (x0, y0), (x1, y1), (x2, y2) = self.start, self.control, self.end
        out = []
        for i in range(segments + 1):
            t = i / segments
            u = 1 - t
            out.append((u * u * x0 + 2 * u * t * x1 + t * t * x2, u * u * y0 + 2 * u * t * y1 + t * t * y2))
        return out

    @property
    def bend(self) -> float:
        """How far the middle of the mouth lies below (+) or above (-) its corners: the face's expression."""
        middle_y = self.points(2)[1][1]
        return middle_y - (self.start[1] + self.end[1]) / 2


Shape = Circle | Curve

OUTLINE = 3.0
EYES = (Circle(36, 40, 6.5, "ink"), Circle(64, 40, 6.5, "ink"))
MOUTH_WIDTH = 7.0
MOUTHS = {
    "positive": Curve((28, 60), (50, 86), (72, 60), MOUTH_WIDTH),  # a broad smile
    "neutral": Curve((31, 68), (50, 68), (69, 68), MOUTH_WIDTH),  # straight
    "negative": Curve((30, 76), (50, 52), (70, 76), MOUTH_WIDTH),  # turned down
}


def face_shapes(face: str) -> tuple[Shape, ...]:
    """What to draw for `face` (a protocol.Face value), back to front."""
    return (Circle(50, 50, 50 - OUTLINE / 2, "face", OUTLINE), *EYES, MOUTHS[face])
