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
from kivy.uix.label import Label
from kivy.uix.widget import Widget
from PIL import Image

from face_art import CONFIRM, FACE_FILL, WARNING, hex_rgba
from i18n import LANGUAGES, translator
from i18n.citizen import FACES, OUTBOX_FULL, WAIT
from kiosk.touch.maintenance_view import CORNER
from kiosk.touch.widgets import KEYPAD, FaceButton, Framed, Tile
from tests.kiosk.touch.driver import LANDSCAPE, PORTRAIT, Driver, TouchRig

ROOT = Path(__file__).resolve().parents[3]
PX_PER_CM = {LANDSCAPE: 800 / (7 * 2.54 * 800 / (800**2 + 480**2) ** 0.5), PORTRAIT: 1920 / (21.5 * 2.54 * 0.8716)}
"""A 7-inch 800 x 480 panel (the official Raspberry Pi display) and a 21.5-inch 1080 x 1920 totem."""
DOCS = {
    ("it", LANDSCAPE): None,  # every screen
    ("en", LANDSCAPE): ("1-faces",),
    ("it", PORTRAIT): None,
    ("de", PORTRAIT): ("3-reasons",),
}
"""Which screens go to docs/screenshots, by language and size: every one in Italian at both sizes, a few others."""


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


def outline_widths(image: Image.Image, widget: Framed) -> dict[str, set[int]]:
    """How many pixels of its colour each edge of `widget`'s outline is across, measured at every pixel along
    its straight part (the corners left out): one width per edge where the outline is even."""
    left, bottom = widget.to_window(widget.x, widget.y)
    right, top = widget.to_window(widget.right, widget.top)
    height = image.size[1]
    # The frame is drawn 1 px inside the widget's box (kv/common.kv); image rows grow downwards.
    x0, x1, y0, y1 = round(left) + 1, round(right) - 1, height - round(top) + 1, height - round(bottom) - 1
    inset, band = round(widget.radius) + 3, round(widget.edge_width) + 3
    edge = [round(c * 255) for c in widget.edge[:3]]

    def dark(x: int, y: int) -> int:
        """1 where the pixel is the outline's colour."""
        pixel = image.getpixel((x, y))
        assert isinstance(pixel, tuple)
        return int(all(abs(a - b) <= 40 for a, b in zip(pixel[:3], edge, strict=True)))

    return {
        "top": {sum(dark(x, y) for y in range(y0, y0 + band)) for x in range(x0 + inset, x1 - inset)},
        "bottom": {sum(dark(x, y) for y in range(y1 - band, y1)) for x in range(x0 + inset, x1 - inset)},
        "left": {sum(dark(x, y) for x in range(x0, x0 + band)) for y in range(y0 + inset, y1 - inset)},
        "right": {sum(dark(x, y) for x in range(x1 - band, x1)) for y in range(y0 + inset, y1 - inset)},
    }


def assert_even_outlines(image: Image.Image, widgets: list[Framed], what: str) -> None:
    """Each outline is as wide all along each edge: no step in it (Kivy's thick `Line` made one)."""
    for widget in widgets:
        widths = outline_widths(image, widget)
        assert all(len(w) == 1 and w != {0} for w in widths.values()), (what, getattr(widget, "text", ""), widths)


def assert_prompt_shown(screen: Widget, prompt: str, english: str) -> None:
    """The PIN pad's prompt is on the screen, whole, Italian first with the English under it."""
    assert english in prompt
    shown = [w for w in screen.walk(restrict=True) if isinstance(w, Label) and w.text == prompt]
    assert len(shown) == 1, prompt
    width, height = shown[0].texture_size
    assert width <= shown[0].width, (prompt, shown[0].size, shown[0].texture_size)
    assert height <= shown[0].height + 1, (prompt, shown[0].size, shown[0].texture_size)


def assert_table_fits(d: Driver, table: Widget | None, actions: Widget) -> None:
    """The maintenance state: every label and value whole (wrapped, never cut) and above the buttons."""
    assert table is not None
    _x, bottom = table.to_window(table.x, table.y)
    _x, top = table.to_window(table.x, table.top)
    _x, buttons = actions.to_window(actions.x, actions.top)
    assert bottom >= buttons, "the state runs into the buttons"
    assert top <= d.app.root.height, "the state runs off the screen"
    for cell in table.children:
        width, height = cell.texture_size
        assert not cell.shorten, f"{cell.text!r} may be cut short"
        assert width <= cell.width, f"{cell.text!r} is cut"
        assert height <= cell.height, f"{cell.text!r} is cut"


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

    single = rig(touch={"pin_attempts": 1, "pin_lockout_s": 20})
    single.configure()

    async def faces(d: Driver) -> None:
        offline = d.app.root.ids.offline
        if language == "it":  # no broker yet: the discreet mark in the corner, for staff
            await d.frames(2)
            assert offline.opacity == 1
            assert_targets(d, size, [])
            assert_drawn(await d.screenshot(shot("1-faces-offline")), size)
        single.kiosk.link._set_online(True)  # what the link's thread tells on CONNACK: no offline mark
        await d.frames(2)
        assert offline.opacity == 0
        if language != "it":
            await d.tap([t for t in d.app.root.ids.languages.children if t.text][LANGUAGES[::-1].index(language)])
        idle = d.app.root.ids.screens.get_screen("idle")
        buttons = idle.faces().buttons()
        assert [b.label for b in buttons] == [tr(FACES[f]) for f in ("positive", "neutral", "negative")]
        assert_targets(d, size, [])
        image = assert_drawn(await d.screenshot(shot("1-faces")), size)
        assert_faces(image, buttons)
        assert_even_outlines(image, [*d.app.root.ids.languages.children, d.app.root.ids.larger], "the top bar")
        d.app.notify(WAIT)  # a press too soon after the last one
        await d.frames(2)
        notice = d.app.root.ids.notice
        image = assert_drawn(await d.screenshot(shot("1-faces-wait")), size)
        assert_even_outlines(image, [notice], "the notice")
        assert notice.texture_size[0] <= notice.width, "the notice is cut"
        assert notice.texture_size[1] <= notice.height, "the notice is cut"
        for button in buttons:
            assert not overlap(window_box(notice), window_box(button)), f"the notice hides {button.face}"
        await d.later(6)
        await d.until(lambda: not d.app.root.notice, what="the notice goes")
        await d.tap(buttons[2])
        await d.until(lambda: d.screen == "reason")
        reason = d.app.root.ids.screens.get_screen("reason")
        assert_targets(d, size, reason.tiles())
        assert reason.ids.skip.secondary
        assert not any(t.secondary for t in reason.tiles()[:-1])
        assert_even_outlines(assert_drawn(await d.screenshot(shot("3-reasons")), size), reason.tiles(), "reasons")
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
        maintenance = d.app.maintenance
        maintenance.request()
        await d.until(lambda: d.screen == "maintenance")
        screen = d.app.root.ids.screens.get_screen("maintenance")
        for key in (50, 52):
            await d.key(key)
        assert_targets(d, size, [])
        image = assert_drawn(await d.screenshot(shot("6-maintenance-pin")), size)
        assert_prompt_shown(screen, maintenance.prompt, "Enter the maintenance PIN")
        frames = [w for w in screen.walk(restrict=True) if isinstance(w, Framed) and w.edge[3]]  # drawn ones
        assert_even_outlines(image, frames, "the PIN pad")
        await d.key(13)  # a wrong PIN: locked (one attempt here)
        await d.until(lambda: maintenance.prompt.startswith("Troppi PIN errati"))
        assert_targets(d, size, [])
        image = assert_drawn(await d.screenshot(shot("6-maintenance-locked")), size)
        assert_prompt_shown(screen, maintenance.prompt, "Try again in 0:20")
        frames = [w for w in screen.walk(restrict=True) if isinstance(w, Framed) and w.edge[3]]  # drawn ones
        assert_even_outlines(image, frames, "the locked PIN pad")
        assert all(w.disabled for w in frames if isinstance(w, Tile) and w.text in KEYPAD)
        await d.later(20)  # the lock ends (before the screen closes by itself, a minute after the last touch)
        await d.until(lambda: "Troppi PIN" not in maintenance.prompt)
        for key in (50, 52, 54, 56, 13):
            await d.key(key)
        await d.until(lambda: maintenance.state is not None)
        assert_targets(d, size, [])
        assert_drawn(await d.screenshot(shot("7-maintenance")), size)
        assert_table_fits(d, maintenance.table, screen.ids.actions)

    single.run(size, faces)

    several = rig()
    several.configure(services=4)

    async def services(d: Driver) -> None:
        several.kiosk.link._set_online(True)
        d.app.choose_language(language)
        await d.frames(3)
        idle = d.app.root.ids.screens.get_screen("idle")
        assert_targets(d, size, idle.tiles())
        image = assert_drawn(await d.screenshot(shot("0-services")), size)
        assert_even_outlines(image, idle.tiles(), "services")
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
    shot = tmp_path / f"3-reasons-large-{language}-{size[0]}x{size[1]}.png"

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
        assert_even_outlines(assert_drawn(await d.screenshot(shot), size), reason.tiles(), "large reasons")

    kiosk.run(size, script)
    target = os.environ.get("MLF_SCREENSHOTS")
    if target and language == "it":
        shutil.copy(shot, ROOT / target / shot.name)
