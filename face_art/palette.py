"""Colours of the faces and of the screens around them, with the WCAG contrast rule they are checked by."""

from __future__ import annotations

INK = "#1b1c1e"
"""Outlines, eyes, mouths and text: near black."""
MUTED = "#55585e"
"""Secondary text (still >= 4.5:1 on the background)."""
BACKGROUND = "#f6f4ef"
"""A warm off-white: calm, and bright enough for every office light."""
FACE_FILL = {
    "positive": "#3f9e4d",
    "neutral": "#f7c531",
    "negative": "#e2483d",
}
"""Face value (protocol.Face) -> fill: green, yellow, red, each >= 4:1 against the ink drawn on it."""
CONFIRM = "#28658a"
"""A calm blue: the thank-you's check mark (white on it), neither a face's colour nor an alarm."""
WARNING = "#f0b429"
"""Amber: the sign when a vote could not be recorded (ink on it)."""


def hex_rgba(colour: str, alpha: float = 1.0) -> tuple[float, float, float, float]:
    """'#rrggbb' -> (r, g, b, a) in 0..1, as Kivy's Color takes it."""
    value = colour.lstrip("#")
    r, g, b = (int(value[i : i + 2], 16) / 255 for i in (0, 2, 4))
    return (r, g, b, alpha)


def _luminance(colour: str) -> float:
    def linear(channel: float) -> float:
        return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4

    r, g, b, _ = hex_rgba(colour)
    return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)


def contrast_ratio(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two colours (1 to 21); text needs 4.5, large text and graphics 3."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)
