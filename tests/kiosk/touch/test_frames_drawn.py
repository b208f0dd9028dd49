"""Each frame is drawn when it is shown: Mesa's software renderer does not pile frames up (memory, stalls).

Under SDL's offscreen driver a swap shows nothing, and without the app's flush llvmpipe kept binning
frames (2-6 MB each) until its scene was full (36 MB), then drew them all at once.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable

from tests.kiosk.touch.driver import LANDSCAPE, Driver, TouchRig

Rig = Callable[..., TouchRig]


class MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks")
    ] + [("keepcost", ctypes.c_size_t)]


def heap_in_use_mb() -> float:
    """glibc's bytes in use (`mallinfo2`): Mesa's software renderer allocates its scenes there."""
    libc = ctypes.CDLL(None)
    libc.mallinfo2.restype = MallInfo2
    return float(libc.mallinfo2().uordblks) / 2**20


def test_frames_do_not_pile_up_in_the_renderer(rig: Rig) -> None:
    kiosk = rig()
    kiosk.configure()
    in_use: list[float] = []

    async def script(d: Driver) -> None:
        for citizen in range(10):  # 20 screens drawn: idle, thank you, idle...
            faces = d.app.root.ids.screens.get_screen("idle").faces()
            await d.tap(faces.buttons()[citizen % 2])
            await d.until(lambda: d.screen == "thank_you")
            in_use.append(heap_in_use_mb())
            await d.later(1)
            await d.until(lambda: d.screen == "idle")
            in_use.append(heap_in_use_mb())

    kiosk.run(LANDSCAPE, script)
    assert max(in_use) - min(in_use) < 12, f"the heap swung by {max(in_use) - min(in_use):.0f} MB over 20 screens"
