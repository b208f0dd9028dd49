"""The touch kiosk's memory tidying (kiosk/touch/memory.py): real on glibc, harmless elsewhere."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from kiosk.touch import memory


def test_trim_releases_freed_memory_on_glibc() -> None:
    assert memory.glibc() is not None, "this machine runs glibc (Debian): trimming must work here"
    script = textwrap.dedent(
        """
        import ctypes
        from kiosk.touch import memory

        def rss():
            return int(open("/proc/self/statm").read().split()[1]) * 4096 // 2**20

        keep, scratch = [], []
        for i in range(4000):  # small blocks interleaved, so that no free block sits on the heap's top
            scratch.append(ctypes.create_string_buffer(16000))
            keep.append(ctypes.create_string_buffer(1000))  # over pymalloc's 512 bytes: malloc
        before = rss()
        del scratch
        freed = rss()
        assert memory.trim()
        print(before, freed, rss())
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    before, freed, trimmed = map(int, done.stdout.split())
    assert freed > before - 20, "the freed blocks stayed resident: the test would prove nothing"
    assert trimmed < freed - 40


class NotGlibc:
    """A C library without glibc's functions (musl, macOS): a fake, as neither runs here."""


def test_elsewhere_nothing_is_done_and_nothing_fails() -> None:
    assert memory.glibc(NotGlibc()) is None
    assert memory.trim(NotGlibc()) is False
