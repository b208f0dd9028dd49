"""The first frame of a new screen shows that screen alone, never the old one through its gaps.

Kivy's `NoTransition` removes the old screen only on the frame after the switch, so the new
screen's first frame is drawn over the old one: before each screen painted its own background,
the idle screen's faces showed between the reasons' cards for a frame. The test grabs exactly
that first frame (on the window's flip, no timing involved) and compares it with the same screen
a few frames later.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from kivy.clock import Clock
from kivy.core.window import Window
from kivy.tests.common import UnitTestTouch
from kivy.uix.widget import Widget
from PIL import Image, ImageChops

from tests.kiosk.touch.driver import LANDSCAPE, Driver, TouchRig


async def first_and_settled(
    d: Driver, tap: Widget, screen: str, folder: Path
) -> tuple[Image.Image, Image.Image, list[str]]:
    """Tap; the first frame that shows `screen`, the same screen settled, and which screens the first frame drew."""
    first = folder / f"{screen}-first.png"
    drawn: list[str] = []

    def grab(*_: object) -> None:  # on_flip: the frame is drawn, not yet swapped
        if d.screen == screen and not drawn:
            drawn.extend(s.name for s in d.app.root.ids.screens.children)
            Path(Window.screenshot(name=str(first.with_suffix("")) + "-.png")).replace(first)

    def finger(_dt: float) -> None:  # in a frame's clock callbacks, where Kivy dispatches a real finger's
        touch = UnitTestTouch(*tap.to_window(*tap.center))
        touch.touch_down()
        touch.touch_up()

    Window.bind(on_flip=grab)
    try:
        Clock.schedule_once(finger, 0)
        await d.until(lambda: drawn, what=f"the first frame of {screen}")
    finally:
        Window.unbind(on_flip=grab)
    settled = await d.screenshot(folder / f"{screen}-settled.png")
    return Image.open(first).convert("RGB"), Image.open(settled).convert("RGB"), drawn


def changed_pixels(a: Image.Image, b: Image.Image) -> int:
    mask = ImageChops.difference(a, b).convert("L").point(lambda v: 255 if v > 24 else 0)
    return mask.histogram()[255]


def test_a_new_screen_covers_the_old_one_from_its_first_frame(rig: Callable[..., TouchRig], tmp_path: Path) -> None:
    kiosk = rig()
    kiosk.configure()

    async def script(d: Driver) -> None:
        faces = d.app.root.ids.screens.get_screen("idle").faces().buttons()
        first, settled, drawn = await first_and_settled(d, faces[2], "reason", tmp_path)
        assert "idle" in drawn, f"the case this test is about did not happen: {drawn}"
        assert changed_pixels(first, settled) == 0, "the idle screen shows through the reasons' first frame"

        reasons = d.app.root.ids.screens.get_screen("reason").tiles()
        first, settled, drawn = await first_and_settled(d, reasons[0], "thank_you", tmp_path)
        assert "reason" in drawn, f"the case this test is about did not happen: {drawn}"
        assert changed_pixels(first, settled) == 0, "the reasons show through the thank-you's first frame"

    kiosk.run(LANDSCAPE, script)
