"""Tidying the touch kiosk's memory when nobody is at the screen.

Two things that cost milliseconds are done at idle, not in the middle of a citizen's touch:
Python's full garbage collection (the objects made at start-up are frozen out of it, `freeze()`,
so it looks only at what came since), and handing glibc's free pages back to the kernel
(`malloc_trim`, glibc's documented interface): Mesa's software renderer and Kivy take and release
tens of megabytes as screens change, and without it the freed pages inside the heap stay resident.
Where the C library is not glibc (musl, macOS) the trim does nothing.
"""

from __future__ import annotations

import ctypes
import gc
import logging
import time
from typing import Any

log = logging.getLogger(__name__)


def glibc(library: Any = None) -> Any | None:
    """The C library, if it is glibc (it has `gnu_get_libc_version` and `malloc_trim`), else None."""
    try:
        libc = library if library is not None else ctypes.CDLL(None)
        for name in ("gnu_get_libc_version", "malloc_trim"):
            getattr(libc, name)
    except (OSError, AttributeError, TypeError):
        return None
    return libc


def trim(library: Any = None) -> bool:
    """Hand the free pages of every malloc arena back to the kernel (`malloc_trim(0)`, well under a
    millisecond here). True if memory was released."""
    libc = glibc(library)
    return bool(libc is not None and libc.malloc_trim(0))


def freeze() -> None:
    """After start-up: what exists now lives as long as the kiosk; later collections skip it."""
    gc.collect()
    gc.freeze()


def unfreeze() -> None:
    """When the app stops (tests run several in one process): its objects can be collected again."""
    gc.unfreeze()


def tidy() -> None:
    """At idle: Python's garbage collected now (not during a touch), then `trim()`."""
    started = time.perf_counter()
    gc.collect()
    released = trim()
    log.debug("tidied at idle in %.1f ms (memory released: %s)", (time.perf_counter() - started) * 1000, released)
