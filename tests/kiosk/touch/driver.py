"""Driving the touch kiosk as a citizen would: touches at screen positions and keys, through Kivy's own input path.

`run_touch(app, size, script)` runs the app and the async `script(driver)` side by side in one
asyncio loop (Kivy's `async_run`), then stops the app. Touches are Kivy's `UnitTestTouch`
(kivy.tests.common, shipped with Kivy): they enter where a finger's would, so the real widget
tree decides what was hit.

Time is the test's: the flow's timeouts, the thank-you, notices and the PIN's lock all run on a
`ManualClock` that moves only when a test says `await d.later(seconds)`, so no test depends on
how fast a loaded machine runs it (the real-time limit in `until` only bounds a failing wait).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from kivy.core.window import Window
from kivy.tests.common import UnitTestTouch
from kivy.uix.widget import Widget

from kiosk.core.clock import Clock
from kiosk.core.kiosk import Kiosk
from kiosk.touch.app import TouchKioskApp
from kiosk.touch.settings import TouchKioskSettings, TouchScreen
from protocol import KioskConfig, encode

LANDSCAPE = (800, 480)
PORTRAIT = (1080, 1920)


class ManualClock:
    """A monotonic clock that stands still until `advance` moves it."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


class Driver:
    def __init__(self, app: TouchKioskApp) -> None:
        self.app = app
        assert isinstance(app.now, ManualClock), "the app runs on the test's clock"
        self.clock: ManualClock = app.now

    async def later(self, seconds: float) -> None:
        """`seconds` pass on the kiosk's clock; the app's next ticks (every 0.1 s) see it.

        A microsecond more, so that a deadline of exactly `seconds` has passed despite float rounding."""
        self.clock.advance(seconds + 1e-6)
        await asyncio.sleep(0.25)

    @property
    def screen(self) -> str:
        return str(self.app.root.ids.screens.current)

    async def frames(self, n: int = 3) -> None:
        for _ in range(n):
            await asyncio.sleep(1 / 60)

    async def until(self, predicate: Callable[[], Any], within: float = 30, what: str = "") -> Any:
        deadline = time.monotonic() + within
        while not (value := predicate()):
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what or predicate}")
            await asyncio.sleep(0.02)
        await self.frames(2)  # drawn
        return value

    async def tap(self, widget: Widget) -> None:
        x, y = widget.to_window(*widget.center)
        await self.tap_at(x, y)

    async def tap_at(self, x: float, y: float) -> None:
        touch = UnitTestTouch(x, y)
        touch.touch_down()
        await self.frames(1)
        touch.touch_up()
        await self.frames(2)

    async def key(self, key: int) -> None:
        Window.dispatch("on_key_down", key, 0, None, [])
        Window.dispatch("on_key_up", key, 0)
        await self.frames(2)

    async def screenshot(self, path: Path) -> Path:
        await self.frames(3)
        made = Path(Window.screenshot(name=str(path.with_suffix("")) + "-.png"))  # Kivy adds a counter
        made.replace(path)  # noqa: ASYNC240 - a rename, between frames
        return path


def run_touch(app: TouchKioskApp, size: tuple[int, int], script: Callable[[Driver], Awaitable[None]]) -> None:
    async def drive() -> None:
        try:
            driver = Driver(app)
            await driver.until(lambda: app.root is not None and app.root.get_root_window() is not None, what="start")
            await driver.until(lambda: tuple(app.root.size) == size, what="window size")
            await script(driver)
        finally:
            app.stop()

    async def main() -> None:
        Window.size = size
        await asyncio.wait_for(asyncio.gather(app.async_run("asyncio"), drive()), 120)

    asyncio.run(main())


def remote_config(revision: int = 1, services: int = 0, reasons: int = 4, **extra: Any) -> bytes:
    """A configuration as the collector sends it: services and reasons labelled in Italian and English."""
    names = [("anagrafe", "Anagrafe", "Registry office"), ("carta-identita", "Carta d'identità", "Identity card"),
             ("tributi", "Tributi (IMU, TARI)", "Local taxes"), ("stato-civile", "Stato civile", "Civil status"),
             ("urp", "URP", "Public relations"), ("servizi-sociali", "Servizi sociali", "Social services")]  # fmt: skip
    reasons_ = [("waiting-time", "Tempo di attesa", "Waiting time"),
               ("staff-courtesy", "Cortesia e disponibilità del personale", "Staff courtesy and helpfulness"),
               ("information-clarity", "Chiarezza delle informazioni", "Clarity of information"),
               ("must-come-back", "Esito della richiesta, dovrò tornare", "Outcome of the request, I must come back"),
               ("opening-hours", "Orari di apertura", "Opening hours")]  # fmt: skip
    config = KioskConfig(
        revision=revision,
        service_point="sp-1",
        services=[{"id": i, "labels": {"it": it, "en": en}} for i, it, en in names[:services]],  # type: ignore[misc]
        reasons=[{"code": c, "labels": {"it": it, "en": en}} for c, it, en in reasons_[:reasons]],  # type: ignore[misc]
        languages=extra.pop("languages", ["it", "en", "fr", "de", "es"]),
        cooldown_s=extra.pop("cooldown_s", 0),
        **extra,
    )
    return encode(config)


class TouchRig:
    """A real kiosk core (outbox on disk; MQTT link not started unless a test starts it) and its touch app."""

    def __init__(self, tmp_path: Path, **options: Any) -> None:
        screen = options.pop("touch", {})
        settings = {
            "kiosk_id": "touch-k1",
            "organisation": "test",
            "service_point": "sp-1",
            "data_dir": tmp_path / "kiosk",
            "clock_synced": "yes",
            "cooldown_s": 0,
            "thank_you_s": 1.0,
            **options,
        }
        self.settings = TouchKioskSettings(touch=TouchScreen(maintenance_pin="2468", **screen), **settings)
        self.clock = ManualClock()
        self.kiosk = Kiosk(self.settings, clock=Clock(self.settings.clock_synced, monotonic=self.clock))
        self.app = TouchKioskApp(self.kiosk, self.settings.touch, monotonic=self.clock)

    def configure(self, **kwargs: Any) -> None:
        assert self.kiosk.config.receive(remote_config(**kwargs))

    def rows(self) -> list[Any]:
        from protocol import Rating

        return [Rating.model_validate_json(p.payload) for p in self.kiosk.outbox.pending(1, 1000)]

    def run(self, size: tuple[int, int], script: Callable[[Driver], Awaitable[None]]) -> None:
        run_touch(self.app, size, script)


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Callable[..., TouchRig]]:
    made: list[TouchRig] = []

    def make(**options: Any) -> TouchRig:
        made.append(TouchRig(tmp_path / str(len(made)), **options))
        return made[-1]

    yield make
    for one in made:
        one.kiosk.stop()
