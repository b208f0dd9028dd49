"""The faces' one description: told apart by shape alone, legible colours, and the same shapes in SVG."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from face_art import (
    BACKGROUND,
    CONFIRM,
    FACE_FILL,
    FACES,
    INK,
    MUTED,
    WARNING,
    Circle,
    Curve,
    contrast_ratio,
    face_shapes,
    face_svg,
)
from protocol import Face

SVG = "{http://www.w3.org/2000/svg}"


def mouth(face: str) -> Curve:
    (curve,) = [s for s in face_shapes(face) if isinstance(s, Curve)]
    return curve


def test_faces_are_the_protocol_faces_in_screen_order() -> None:
    assert tuple(face.value for face in Face) == FACES
    assert set(FACE_FILL) == set(FACES)


def test_the_mouth_alone_tells_the_faces_apart() -> None:
    """A smile bends down in the middle (y grows downwards), a frown up, the neutral mouth not at all."""
    assert mouth("positive").bend > 8
    assert mouth("neutral").bend == 0
    assert mouth("negative").bend < -8
    shapes_without_colour = {face: [s for s in face_shapes(face) if not isinstance(s, Circle) or s.fill == "ink"]
                             for face in FACES}  # fmt: skip
    assert len({repr(shapes) for shapes in shapes_without_colour.values()}) == 3


def test_everything_fits_the_box() -> None:
    for face in FACES:
        for shape in face_shapes(face):
            if isinstance(shape, Circle):
                assert (
                    shape.r + shape.stroke_width / 2 <= min(shape.cx, shape.cy, 100 - shape.cx, 100 - shape.cy) + 1e-9
                )
            else:
                assert all(0 <= x <= 100 and 0 <= y <= 100 for x, y in shape.points())


def test_contrast_meets_wcag() -> None:
    assert contrast_ratio(INK, BACKGROUND) >= 7  # body text, AAA
    assert contrast_ratio(MUTED, BACKGROUND) >= 4.5  # secondary text, AA
    for face in FACES:
        assert contrast_ratio(FACE_FILL[face], INK) >= 4  # eyes and mouth on the face: graphics need 3
    assert contrast_ratio(CONFIRM, "#ffffff") >= 4.5  # the white check mark on it
    assert contrast_ratio(CONFIRM, BACKGROUND) >= 3  # the disc stands out of the screen
    assert contrast_ratio(WARNING, INK) >= 4.5  # the "!" on the warning sign
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21)


@pytest.mark.parametrize("face", FACES)
def test_svg_draws_the_same_shapes(face: str) -> None:
    root = ET.fromstring(face_svg(face, 96, title="Positivo & co"))  # noqa: S314 - our own output
    assert root.get("width") == "96"
    assert root.get("role") == "img"
    assert root.findtext(f"{SVG}title") == "Positivo & co"
    circles = root.findall(f"{SVG}circle")
    assert [float(c.get("r", 0)) for c in circles] == [s.r for s in face_shapes(face) if isinstance(s, Circle)]
    assert circles[0].get("fill") == FACE_FILL[face]
    (path,) = root.findall(f"{SVG}path")
    m = mouth(face)
    assert (
        path.get("d")
        == f"M {m.start[0]:g} {m.start[1]:g} Q {m.control[0]:g} {m.control[1]:g} {m.end[0]:g} {m.end[1]:g}"
    )
    assert ET.fromstring(face_svg(face)).get("aria-hidden") == "true"  # noqa: S314 - our own output
