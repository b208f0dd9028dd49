"""Screenshots of every screen at 800 x 480 landscape and 1080 x 1920 portrait, in every language, checked.

Each is checked for what a citizen must see: not blank, the three faces in their colours where the
face widgets are, their labels in the screen's language, the thank-you's check mark and the
not-stored warning in their own colours, every target at least 1.5 cm (faces, services, reasons,
skip and back at least 2 cm) on the display it is meant for, and the offline mark and the
maintenance corner clear of every target. `MLF_SCREENSHOTS=docs/screenshots` also copies the
chosen dozen there (README).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.widget import Widget
from PIL import Image

from face_art import CONFIRM, FACE_FILL, WARNING, hex_rgba
from i18n import LANGUAGES, translator
from i18n.citizen import FACES, OUTBOX_FULL
from kiosk.touch.maintenance_view import CORNER
from kiosk.touch.widgets import FaceButton, Tile
from tests.kiosk.touch.driver import LANDSCAPE, PORTRAIT, Driver, TouchRig

ROOT = Path(__file__).resolve().parents[3]
PX_PER_CM = {LANDSCAPE: 800 / (7 * 2.54 * 800 / (800**2 + 480**2) ** 0.5), PORTRAIT: 1920 / (21.5 * 2.54 * 0.8716)}
"""A 7-inch 800 x 480 panel (the official Raspberry Pi display) and a 21.5-inch 1080 x 1920 totem."""
DOCS = {
    ("it", LANDSCAPE): None,  # every screen
    ("en", LANDSCAPE): ("1-faces",),
    ("it", PORTRAIT): ("1-faces", "3-reasons"),
    ("de", PORTRAIT): ("3-reasons",),
}
"""Which screens go to docs/screenshots, by language and size: a dozen."""


def assert_drawn(path: Path, size: tuple[int, int]) -> Image.Image:
    image = Image.open(path).convert("RGB")
    assert image.size == size
    colours = image.resize((80, 80)).getcolors(6400) or []
    assert len(colours) > 20, f"{path.name} looks blank"
    return image


def assert_colour_at(image: Image.Image, widget: Widget, dx: float, dy: float, colour: str, what: str) -> None:
    """The pixel at (dx, dy) from `widget`'s centre, in window pixels, is `colour`."""
    x, y = widget.to_window(widget.center_x + dx, widget.center_y + dy)
    pixel = image.getpixel((int(x), image.size[1] - int(y)))
    assert isinstance(pixel, tuple)
    wanted = tuple(round(c * 255) for c in hex_rgba(colour)[:3])
    assert all(abs(a - b) <= 6 for a, b in zip(pixel, wanted, strict=True)), (what, pixel, wanted)


def assert_faces(image: Image.Image, buttons: list[FaceButton]) -> None:
    for button in buttons:
        drawing = button.children[-1]  # the FaceDrawing (children are listed last-added first)
        assert_colour_at(image, drawing, -drawing.diameter * 0.3, 0, FACE_FILL[button.face], button.face)


def targets(d: Driver) -> list[Widget]:
    """Everything on the screen that reacts to a touch: the current screen's buttons, and the top bar's."""
    root = d.app.root
    found = [w for w in root.ids.screens.current_screen.walk(restrict=True) if isinstance(w, ButtonBehavior)]
    if root.show_topbar:
        found += [w for w in root.ids.topbar.walk(restrict=True) if isinstance(w, ButtonBehavior)]
    assert found, f"no target on {d.screen}"
    return found


def window_box(widget: Widget) -> tuple[float, float, float, float]:
    x, y = widget.to_window(widget.x, widget.y)
    return x, y, x + widget.width, y + widget.height


def overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def assert_targets(d: Driver, size: tuple[int, int], large: list[Widget]) -> None:
    """Every target >= 1.5 cm, the `large` ones >= 2 cm; none under the offline mark or in the corner."""
    app = d.app
    for widget in targets(d):
        minimum = 2 if widget in large or isinstance(widget, FaceButton) else 1.5
        text = getattr(widget, "text", "") or getattr(widget, "face", "")
        assert min(widget.size) >= minimum * PX_PER_CM[size], f"{d.screen}: {text!r} {widget.size} < {minimum} cm"
        mark = window_box(app.root.ids.offline)
        assert not overlap(window_box(widget), mark), f"{d.screen}: the offline mark covers {text!r}"
        corner = (0, app.root.height - CORNER[1] * app.bar, CORNER[0] * app.bar, app.root.height)
        assert not overlap(window_box(widget), corner), f"{d.screen}: {text!r} is in the maintenance corner"
        if isinstance(widget, Tile):
            width, height = widget.texture_size
            assert width <= widget.width, f"{d.screen}: {text!r} overflows its tile"
            assert height <= widget.height, f"{d.screen}: {text!r} overflows its tile"


@pytest.mark.parametrize("size", [LANDSCAPE, PORTRAIT], ids=["800x480", "1080x1920"])
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_screen(rig: Callable[..., TouchRig], tmp_path: Path, language: str, size: tuple[int, int]) -> None:
    shots: dict[str, Path] = {}
    tr = translator(language)

    def shot(name: str) -> Path:
        shots[name] = tmp_path / f"{name}-{language}-{size[0]}x{size[1]}.png"
        return shots[name]

    single = rig(touch={"pin_attempts": 5})
    single.configure()

    async def faces(d: Driver) -> None:
        single.kiosk.link._set_online(True)  # what the link's thread tells on CONNACK: no offline mark
        await d.frames(2)
        if language != "it":
            await d.tap([t for t in d.app.root.ids.languages.children if t.text][LANGUAGES[::-1].index(language)])
        idle = d.app.root.ids.screens.get_screen("idle")
        buttons = idle.faces().buttons()
        assert [b.label for b in buttons] == [tr(FACES[f]) for f in ("positive", "neutral", "negative")]
        assert_targets(d, size, [])
        assert_faces(assert_drawn(await d.screenshot(shot("1-faces")), size), buttons)
        await d.tap(buttons[2])
        await d.until(lambda: d.screen == "reason")
        reason = d.app.root.ids.screens.get_screen("reason")
        assert_targets(d, size, reason.tiles())
        assert reason.ids.skip.secondary
        assert not any(t.secondary for t in reason.tiles()[:-1])
        assert_drawn(await d.screenshot(shot("3-reasons")), size)
        await d.tap(reason.tiles()[0])
        await d.until(lambda: d.screen == "thank_you")
        mark = d.app.root.ids.screens.get_screen("thank_you").ids.mark
        image = assert_drawn(await d.screenshot(shot("4-thank-you")), size)
        assert_colour_at(image, mark, -mark.side * 0.4, 0, CONFIRM, "the check mark's disc")
        d.app.show_not_stored(OUTBOX_FULL)
        await d.until(lambda: d.screen == "not_stored")
        sign = d.app.root.ids.screens.get_screen("not_stored").ids.sign
        image = assert_drawn(await d.screenshot(shot("5-not-stored")), size)
        assert_colour_at(image, sign, 0, -sign.side * 0.35, WARNING, "the warning sign")
        await d.later(30)
        d.app.maintenance.request()
        await d.until(lambda: d.screen == "maintenance")
        for key in (50, 52):
            await d.key(key)
        assert_targets(d, size, [])
        assert_drawn(await d.screenshot(shot("6-maintenance-pin")), size)
        for key in (54, 56, 13):
            await d.key(key)
        await d.until(lambda: d.app.maintenance.state is not None)
        assert_drawn(await d.screenshot(shot("7-maintenance")), size)

    single.run(size, faces)

    several = rig()
    several.configure(services=4)

    async def services(d: Driver) -> None:
        d.app.choose_language(language)
        await d.frames(3)
        idle = d.app.root.ids.screens.get_screen("idle")
        assert_targets(d, size, idle.tiles())
        assert_drawn(await d.screenshot(shot("0-services")), size)
        await d.tap(idle.tiles()[1])
        await d.until(lambda: d.screen == "face")
        face = d.app.root.ids.screens.get_screen("face")
        assert isinstance(face.ids.back, Tile)
        assert face.ids.back.secondary
        assert_targets(d, size, [face.ids.back])
        assert_faces(assert_drawn(await d.screenshot(shot("2-faces-after-service")), size), face.ids.faces.buttons())

    several.run(size, services)
    target = os.environ.get("MLF_SCREENSHOTS")
    if target and (language, size) in DOCS:
        wanted = DOCS[(language, size)]
        for name, path in shots.items():
            if wanted is None or name in wanted:
                shutil.copy(path, ROOT / target / path.name)


@pytest.mark.parametrize("size", [LANDSCAPE, PORTRAIT], ids=["800x480", "1080x1920"])
@pytest.mark.parametrize("language", ["it", "de"])
def test_large_text_fits(rig: Callable[..., TouchRig], tmp_path: Path, language: str, size: tuple[int, int]) -> None:
    """A+ (or `large_text`): every text still fits its tile, every target keeps its size."""
    kiosk = rig(touch={"large_text": True})
    kiosk.configure(services=4)

    async def script(d: Driver) -> None:
        d.app.choose_language(language)
        assert d.app.font_scale > 1
        await d.frames(3)
        idle = d.app.root.ids.screens.get_screen("idle")
        assert_targets(d, size, idle.tiles())
        await d.tap(idle.tiles()[2])
        await d.until(lambda: d.screen == "face")
        face = d.app.root.ids.screens.get_screen("face")
        assert_targets(d, size, [face.ids.back])
        await d.tap(face.ids.faces.buttons()[2])
        await d.until(lambda: d.screen == "reason")
        reason = d.app.root.ids.screens.get_screen("reason")
        assert_targets(d, size, reason.tiles())
        assert_drawn(await d.screenshot(tmp_path / f"large-reasons-{language}.png"), size)

    kiosk.run(size, script)
