"""The faces as SVG, for web pages and documents: the same shapes the kiosk draws."""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from face_art.palette import FACE_FILL, INK
from face_art.shapes import BOX, Circle, Curve, face_shapes


def face_svg(face: str, size: int = 120, title: str | None = None) -> str:
    """A standalone `<svg>` of `face`, `size` pixels wide; `title` is what screen readers say (the label)."""
    fill = FACE_FILL[face]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {BOX:g} {BOX:g}" width="{size}" height="{size}"'
        + (' role="img">' if title else ' aria-hidden="true">')
    ]
    if title:
        parts.append(f"<title>{escape(title)}</title>")
    for shape in face_shapes(face):
        if isinstance(shape, Circle):
            colour = fill if shape.fill == "face" else INK
            stroke = f' stroke="{INK}" stroke-width="{shape.stroke_width:g}"' if shape.stroke_width else ""
            parts.append(f'<circle cx="{shape.cx:g}" cy="{shape.cy:g}" r="{shape.r:g}" fill="{colour}"{stroke}/>')
        elif isinstance(shape, Curve):
            (x0, y0), (x1, y1), (x2, y2) = shape.start, shape.control, shape.end
            d = quoteattr(f"M {x0:g} {y0:g} Q {x1:g} {y1:g} {x2:g} {y2:g}")
            parts.append(
                f'<path d={d} fill="none" stroke="{INK}" stroke-width="{shape.width:g}" stroke-linecap="round"/>'
            )
    parts.append("</svg>")
    return "".join(parts)
