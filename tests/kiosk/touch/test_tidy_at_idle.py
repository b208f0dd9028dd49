"""The touch kiosk tidies its memory (garbage collection, `malloc_trim`) only at idle, once per quiet spell."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from kiosk.core.face_api import Face, Step
from kiosk.touch import memory
from kiosk.touch.app import TIDY_AFTER_S
from tests.kiosk.touch.driver import LANDSCAPE, Driver, TouchRig

Rig = Callable[..., TouchRig]


def test_memory_is_tidied_at_idle_never_in_the_middle_of_a_citizen(rig: Rig, monkeypatch: pytest.MonkeyPatch) -> None:
    kiosk = rig(reason_timeout_s=60)
    kiosk.configure()
    steps: list[Step] = []
    tidy = memory.tidy

    def spy() -> None:  # the real tidy, noted
        steps.append(kiosk.kiosk.step)
        tidy()

    monkeypatch.setattr(memory, "tidy", spy)

    async def script(d: Driver) -> None:
        faces = d.app.root.ids.screens.get_screen("idle").faces()
        await d.later(TIDY_AFTER_S)
        assert steps == [Step.IDLE]
        await d.later(TIDY_AFTER_S * 3)
        assert steps == [Step.IDLE], "once per quiet spell, not on every tick"
        await d.tap(faces.buttons()[2])
        await d.until(lambda: d.screen == "reason")
        await d.later(TIDY_AFTER_S * 2)  # a citizen reading the reasons
        assert len(steps) == 1, "tidied in the middle of a citizen's rating"
        await d.tap(d.app.root.ids.screens.get_screen("reason").tiles()[0])
        await d.until(lambda: d.screen == "thank_you")
        await d.later(1)
        await d.until(lambda: d.screen == "idle")
        assert len(steps) == 1, "tidied before the kiosk was idle long enough"
        await d.later(TIDY_AFTER_S)
        assert steps == [Step.IDLE, Step.IDLE]

    kiosk.run(LANDSCAPE, script)
    assert [(r.face, r.reason) for r in kiosk.rows()] == [(Face.NEGATIVE, "waiting-time")]
