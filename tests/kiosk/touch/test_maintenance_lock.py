"""The maintenance PIN pad locked by wrong PINs, at both sizes: its keys greyed and really inert (a touch
neither presses them nor types), a notice in Italian and English counting the time down, Cancel still
there, and the keypad back by itself when the lock ends, before the screen's own timeout closes it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from kivy.tests.common import UnitTestTouch
from kivy.uix.label import Label

from face_art import BACKGROUND, INK
from kiosk.touch.maintenance_layout import PinDots
from kiosk.touch.widgets import KEYPAD, Framed, Tile
from tests.kiosk.touch.driver import LANDSCAPE, PORTRAIT, Driver, TouchRig
from tests.kiosk.touch.test_screenshots import assert_colour_at, assert_drawn, assert_even_outlines, assert_prompt_shown


@pytest.mark.parametrize("size", [LANDSCAPE, PORTRAIT], ids=["800x480", "1080x1920"])
def test_a_locked_keypad_is_greyed_inert_and_comes_back(
    rig: Callable[..., TouchRig], tmp_path: Path, size: tuple[int, int]
) -> None:
    kiosk = rig(touch={"pin_attempts": 2, "pin_lockout_s": 60, "maintenance_timeout_s": 60})
    kiosk.configure()

    async def script(d: Driver) -> None:
        maintenance = d.app.maintenance
        screen = d.app.root.ids.screens.get_screen("maintenance")

        def keys() -> dict[str, Tile]:
            return {w.text: w for w in screen.walk(restrict=True) if isinstance(w, Tile) and w.text in KEYPAD}

        def dots() -> PinDots:
            return next(w for w in screen.walk(restrict=True) if isinstance(w, PinDots))

        def notice() -> Label:
            shown = [w for w in screen.walk(restrict=True) if isinstance(w, Label) and w.text == maintenance.prompt]
            assert len(shown) == 1
            return shown[0]

        maintenance.request()
        await d.until(lambda: d.screen == "maintenance")
        assert not any(t.disabled for t in keys().values())
        for pin in ("1111", "1357"):  # two wrong PINs, on the screen's keys: locked for a minute
            for key in [*pin, "OK"]:
                await d.tap(keys()[key])
        assert all(t.disabled for t in keys().values()), "the keys look active while locked"
        assert "Troppi PIN errati: la tastiera è bloccata\n" in maintenance.prompt
        assert "Too many wrong PINs: the keypad is locked" in maintenance.prompt
        assert "Riprovi tra 1:00\n" in maintenance.prompt
        assert "Try again in 1:00" in maintenance.prompt
        assert getattr(notice(), "alert", False), "the lock is said in a notice's box"

        # Greyed: every key and the field, the OK key no longer filled; Cancel is the way out.
        assert dots().disabled
        cancel = [w for w in screen.walk(restrict=True) if isinstance(w, Tile) and "Annulla" in w.text]
        assert len(cancel) == 1
        assert not cancel[0].disabled
        image = assert_drawn(await d.screenshot(tmp_path / "locked.png"), size)
        ok = keys()["OK"]
        assert_colour_at(image, ok, -ok.width * 0.35, 0, BACKGROUND, "a locked OK key is not filled")
        assert_colour_at(image, keys()["5"], 0, -keys()["5"].height * 0.3, BACKGROUND, "a locked key's face")
        drawn = [w for w in screen.walk(restrict=True) if isinstance(w, Framed) and w.edge[3]]
        assert_even_outlines(image, drawn, "the locked PIN pad")
        assert_prompt_shown(screen, maintenance.prompt, "Try again in 1:00")

        # Inert: a touch does not press a key (no pressed look) nor type; nor does a keyboard.
        for key in ("2", "<", "OK"):
            tile = keys()[key]
            touch = UnitTestTouch(*tile.to_window(*tile.center))
            touch.touch_down()
            await d.frames(1)
            assert tile.state == "normal", f"{key} looks pressed while locked"
            touch.touch_up()
            await d.frames(1)
        for code in (50, 52, 54, 56, 13):  # 2468 and Enter, the right PIN: still locked
            await d.key(code)
        assert maintenance.typed == ""
        assert dots().text == ""
        assert not maintenance.unlocked

        # The time left counts down, on the test's clock.
        await d.later(20)
        await d.until(lambda: "Riprovi tra 0:40" in maintenance.prompt, what="the countdown at 0:40")
        assert "Try again in 0:40" in maintenance.prompt
        await d.later(39)
        await d.until(lambda: "Try again in 0:01" in maintenance.prompt, what="the countdown at 0:01")
        assert all(t.disabled for t in keys().values())

        # The lock ends a minute after the last touch, as the screen's timeout would: the keypad comes back.
        await d.later(1)
        await d.until(lambda: not any(t.disabled for t in keys().values()), what="the keys come back")
        assert d.screen == "maintenance", "the screen closed as the keypad came back"
        assert maintenance.prompt.startswith("Inserisca il PIN di manutenzione\n")
        assert not dots().disabled
        image = assert_drawn(await d.screenshot(tmp_path / "unlocked.png"), size)
        ok = keys()["OK"]
        assert_colour_at(image, ok, -ok.width * 0.35, 0, INK, "OK is filled again")
        for key in ("2", "4", "6", "8", "OK"):
            await d.tap(keys()[key])
        await d.until(lambda: maintenance.state is not None, what="the kiosk's state, with the right PIN")

    kiosk.run(size, script)
