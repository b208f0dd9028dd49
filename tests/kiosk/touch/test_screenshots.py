"""Screenshots of every screen at 800 x 480 landscape and 1080 x 1920 portrait, in every language, checked.

Each is checked for what a citizen must see: not blank, the three faces in their colours where the
face widgets are, their labels in the screen's language, every target at least 2 cm on the display
it is meant for. `MLF_SCREENSHOTS=docs/screenshots` also copies the chosen few there (README).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from face_art import FACE_FILL, hex_rgba
from i18n import LANGUAGES, translator
from i18n.citizen import FACES
from tests.kiosk.touch.driver import LANDSCAPE, PORTRAIT, Driver, TouchRig

ROOT = Path(__file__).resolve().parents[3]
PX_PER_CM = {LANDSCAPE: 800 / (7 * 2.54 * 800 / (800**2 + 480**2) ** 0.5), PORTRAIT: 1920 / (21.5 * 2.54 * 0.8716)}
"""A 7-inch 800 x 480 panel (the official Raspberry Pi display) and a 21.5-inch 1080 x 1920 totem."""
DOCS = {("it", LANDSCAPE), ("it", PORTRAIT), ("en", LANDSCAPE), ("de", PORTRAIT)}
"""Which language and size go to docs/screenshots (all Italian landscape screens, a few others)."""


def assert_drawn(path: Path, size: tuple[int, int]) -> Image.Image:
    image = Image.open(path).convert("RGB")
    assert image.size == size
    colours = image.resize((80, 80)).getcolors(6400) or []
    assert len(colours) > 20, f"{path.name} looks blank"
    return image


def assert_faces(image: Image.Image, buttons: list, size: tuple[int, int]) -> None:  # type: ignore[type-arg]
    for button in buttons:
        drawing = button.children[-1]  # the FaceDrawing (children are listed last-added first)
        x, y = drawing.to_window(drawing.center_x - drawing.diameter * 0.3, drawing.center_y)
        pixel = image.getpixel((int(x), size[1] - int(y)))  # a point on the cheek: the face's own colour
        assert isinstance(pixel, tuple)
        wanted = tuple(round(c * 255) for c in hex_rgba(FACE_FILL[button.face])[:3])
        assert all(abs(a - b) <= 6 for a, b in zip(pixel, wanted, strict=True)), (button.face, pixel, wanted)
        assert min(button.size) >= 2 * PX_PER_CM[size], f"{button.face} target smaller than 2 cm"


@pytest.mark.parametrize("size", [LANDSCAPE, PORTRAIT], ids=["800x480", "1080x1920"])
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_screen(rig: Callable[..., TouchRig], tmp_path: Path, language: str, size: tuple[int, int]) -> None:
    shots: dict[str, Path] = {}
    tr = translator(language)

    def shot(name: str) -> Path:
        shots[name] = tmp_path / f"{name}-{language}-{size[0]}x{size[1]}.png"
        return shots[name]

    single = rig(thank_you_s=30, touch={"pin_attempts": 5})
    single.configure()

    async def faces(d: Driver) -> None:
        if language != "it":
            await d.tap([t for t in d.app.root.ids.languages.children if t.text][LANGUAGES[::-1].index(language)])
        idle = d.app.root.ids.screens.get_screen("idle")
        buttons = idle.faces().buttons()
        assert [b.label for b in buttons] == [tr(FACES[f]) for f in ("positive", "neutral", "negative")]
        assert_faces(assert_drawn(await d.screenshot(shot("1-faces")), size), buttons, size)
        await d.tap(buttons[2])
        await d.until(lambda: d.screen == "reason")
        reason = d.app.root.ids.screens.get_screen("reason")
        for tile in reason.tiles():
            assert min(tile.size) >= 2 * PX_PER_CM[size], f"{tile.text!r} smaller than 2 cm"
        assert_drawn(await d.screenshot(shot("3-reasons")), size)
        await d.tap(reason.tiles()[0])
        await d.until(lambda: d.screen == "thank_you")
        assert_drawn(await d.screenshot(shot("4-thank-you")), size)
        d.app.maintenance.request()
        await d.until(lambda: d.screen == "maintenance")
        assert_drawn(await d.screenshot(shot("5-maintenance-pin")), size)
        for key in (50, 52, 54, 56, 13):
            await d.key(key)
        await d.until(lambda: d.app.maintenance.state is not None)
        assert_drawn(await d.screenshot(shot("6-maintenance")), size)

    single.run(size, faces)

    several = rig()
    several.configure(services=4)

    async def services(d: Driver) -> None:
        d.app.choose_language(language)
        await d.frames(3)
        idle = d.app.root.ids.screens.get_screen("idle")
        for tile in idle.tiles():
            assert min(tile.size) >= 2 * PX_PER_CM[size], f"{tile.text!r} smaller than 2 cm"
        assert_drawn(await d.screenshot(shot("0-services")), size)
        await d.tap(idle.tiles()[1])
        await d.until(lambda: d.screen == "face")
        face = d.app.root.ids.screens.get_screen("face")
        assert_faces(
            assert_drawn(await d.screenshot(shot("2-faces-after-service")), size), face.ids.faces.buttons(), size
        )
        assert min(face.ids.back.size) >= 2 * PX_PER_CM[size]

    several.run(size, services)
    target = os.environ.get("MLF_SCREENSHOTS")
    if target and (language, size) in DOCS:
        for name, path in shots.items():
            if (language == "it" and size == LANDSCAPE) or name in ("1-faces", "3-reasons"):
                shutil.copy(path, ROOT / target / path.name)
