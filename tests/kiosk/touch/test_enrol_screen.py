"""The touch kiosk's enrolment screen, headless at 800 x 480, against a real collector: it says in Italian and
English that the kiosk waits for enrolment; the code is typed on its keypad (a wrong one is refused with
the collector's reason) or typed by a QR scanner (the QR's whole line, then Enter), and the kiosk is enrolled.
On a 1080 x 1920 totem the waiting screen keeps its keys large and everything on the screen.
Screenshots are checked and, with `MLF_SCREENSHOTS=docs/screenshots`, copied there."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path
from typing import Any

from kivy.core.window import Window

from kiosk.core.enrol.enroller import Enroller, Phase
from kiosk.core.enrol.settings import EnrolSettings
from kiosk.touch.enrol_app import EnrolApp
from kiosk.touch.keypad import ENTER
from kiosk.touch.widgets import Tile
from tests.fixtures.fix_collector import CollectorProcess
from tests.kiosk.touch.driver import LANDSCAPE, PORTRAIT, Driver, ManualClock, run_touch
from tests.kiosk.touch.test_screenshots import PX_PER_CM, assert_drawn, assert_even_outlines

ROOT = Path(__file__).resolve().parents[3]


def keypad(app: EnrolApp) -> dict[str, Tile]:
    return {tile.text: tile for tile in app.root.ids.pad.children}


def test_enrolment_screen_typed_refused_then_scanned(collector: CollectorProcess, tmp_path: Path) -> None:
    collector.send("POST", "/v1/organisations", {"id": "roma", "name": "Roma Capitale"})
    collector.send("POST", "/v1/organisations/roma/service-points", {"id": "roma-sp", "name": "Anagrafe, sportello 3"})
    code = collector.send("POST", "/v1/organisations/roma/enrolment-codes", {"service_point": "roma-sp"})
    data_dir = tmp_path / "kiosk"
    enrol = EnrolSettings(url=collector.url, code_file=tmp_path / "boot" / "mlf-enrol.txt")
    enroller = Enroller(enrol, data_dir)
    app = EnrolApp(enroller, enrol, monotonic=ManualClock())
    shots: dict[str, Path] = {}

    async def script(d: Driver) -> None:
        ids: Any = app.root.ids
        await d.until(lambda: "In attesa di registrazione" in ids.title.text, what="the title")
        assert "Waiting for enrolment" in ids.title.text  # English alongside
        assert "mlf-enrol.txt" in ids.instruction.text
        assert ids.field.text == "____ ____ ____ ____"
        keys = keypad(app)
        assert sorted(keys) == sorted(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "<", "OK"])
        for tile in keys.values():  # large targets: at least 1.5 cm on the 7-inch panel
            assert min(tile.size) >= 1.5 * PX_PER_CM[LANDSCAPE], (tile.text, tile.size)
        shots["waiting"] = await d.screenshot(tmp_path / "8-enrolment-it-800x480.png")
        assert_even_outlines(assert_drawn(shots["waiting"], LANDSCAPE), [ids.field, *keys.values()], "enrolment")

        for digit in "99998888777766":
            await d.tap(keys[digit])
        await d.tap(keys["<"])
        assert ids.field.text == "9999 8888 7777 6___"
        for digit in "655":
            await d.tap(keys[digit])
        await d.tap(keys["OK"])
        await d.until(lambda: "Codice inesistente" in ids.status.text, what="the refusal")
        assert "No such code: check the digits." in ids.status.text
        assert ids.field.text == "____ ____ ____ ____"  # cleared for the next try
        shots["refused"] = await d.screenshot(tmp_path / "9-enrolment-refused-it-800x480.png")

        Window.dispatch("on_textinput", code["qr_text"])  # a USB scanner types the QR's line...
        await d.frames(2)
        assert ids.field.text == code["code"]
        assert ids.field.texture_size[0] <= ids.field.width - 2 * ids.field.edge_width, "the code overflows its field"
        await d.key(ENTER)  # ...and Enter
        await d.until(lambda: enroller.done.is_set(), what="enrolled")
        await d.until(lambda: "roma-sp-k1" in ids.status.text, what="the enrolled message")
        shots["enrolled"] = await d.screenshot(tmp_path / "9-enrolment-enrolled-it-800x480.png")

    enroller.start()
    try:
        run_touch(app, LANDSCAPE, script)  # the driver works on any app with a clock (`now`)
    finally:
        enroller.stop()
    for path in shots.values():
        assert_drawn(path, LANDSCAPE)
    assert enroller.state.phase is Phase.ENROLLED
    assert stat.S_IMODE((data_dir / "identity.json").stat().st_mode) == 0o600
    target = os.environ.get("MLF_SCREENSHOTS")
    if target:
        for name in ("waiting", "refused", "enrolled"):
            shutil.copy(shots[name], ROOT / target / shots[name].name)


def test_enrolment_screen_on_a_portrait_totem(tmp_path: Path) -> None:
    """The waiting screen at 1080 x 1920 (a kiosk not yet enrolled waits: no collector is asked until a code),
    then a code typed while the collector cannot be reached (nothing listens at its address): the kiosk
    says so, in Italian and English, and why, and tries again by itself."""
    enrol = EnrolSettings(url="http://127.0.0.1:9", code_file=tmp_path / "boot" / "mlf-enrol.txt")
    enroller = Enroller(enrol, tmp_path / "kiosk")
    app = EnrolApp(enroller, enrol, monotonic=ManualClock())
    shot = tmp_path / "8-enrolment-it-1080x1920.png"
    unreachable = tmp_path / "9-enrolment-unreachable-it-1080x1920.png"

    async def script(d: Driver) -> None:
        ids: Any = app.root.ids
        await d.until(lambda: "In attesa di registrazione" in ids.title.text, what="the title")
        keys = keypad(app)
        for tile in keys.values():  # large targets on the 21.5-inch totem too, all of them on the screen
            assert min(tile.size) >= 1.5 * PX_PER_CM[PORTRAIT], (tile.text, tile.size)
            x, y = tile.to_window(*tile.pos)
            assert 0 <= x <= x + tile.width <= PORTRAIT[0], tile.text
            assert 0 <= y <= y + tile.height <= PORTRAIT[1], tile.text
        for label in (ids.title, ids.instruction, ids.field):
            width, _height = label.texture_size
            assert width <= PORTRAIT[0], (label.text, width)
        image = assert_drawn(await d.screenshot(shot), PORTRAIT)
        assert_even_outlines(image, [ids.field, *keys.values()], "the enrolment screen")

        for digit in "1234123412341234":
            await d.tap(keys[digit])
        await d.tap(keys["OK"])
        await d.until(lambda: "Collector non raggiungibile" in ids.status.text, what="the collector unreachable")
        assert "Cannot reach the collector" in ids.status.text
        status = ids.status
        assert status.texture_size[0] <= status.width
        assert status.texture_size[1] <= status.height
        _x, title_bottom = ids.title.to_window(ids.title.x, ids.title.y)
        _x, texts_top = ids.instruction.to_window(ids.instruction.x, ids.instruction.top)
        assert texts_top <= title_bottom, "the texts run into the title"
        _x, footer_bottom = ids.footer.to_window(ids.footer.x, ids.footer.y)
        _x, pad_top = ids.pad.to_window(ids.pad.x, ids.pad.top)
        assert footer_bottom >= pad_top, "the texts run into the keypad"
        image = assert_drawn(await d.screenshot(unreachable), PORTRAIT)
        assert_even_outlines(image, [ids.field, status], "the notice")

    enroller.start()
    try:
        run_touch(app, PORTRAIT, script)
    finally:
        enroller.stop()
    assert enroller.state.phase is Phase.RETRYING
    target = os.environ.get("MLF_SCREENSHOTS")
    if target:
        for path in (shot, unreachable):
            shutil.copy(path, ROOT / target / path.name)
