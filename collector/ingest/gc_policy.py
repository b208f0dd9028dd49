"""Garbage collection on a clock instead of on allocation counts, for the serving process.

Ingest allocates several container objects per message (the parsed payload, its wrapper, queue
entries) and keeps thousands of them alive at once in the inbox and in batches. CPython's automatic
collector, triggered every 700 allocations, then keeps re-scanning those survivors and the whole
application (FastAPI routes, pydantic schemas): measured under a backlog drain, a quarter of the
collector's CPU went to `gc_collect_main`. Nearly all of that garbage is freed by reference counting
anyway; the collector only matters for reference cycles, which are rare here and small.

So the serving process freezes what exists after start-up (moved out of every later scan), turns
the automatic trigger off and collects cycles from a daemon thread every `interval_s` seconds.
`interval_s = 0` keeps CPython's default behaviour.
"""

from __future__ import annotations

import gc
import threading


class TimedCollection:
    def __init__(self, interval_s: float) -> None:
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.collections = 0

    def start(self) -> None:
        if self.interval_s <= 0 or self._thread is not None:
            return
        gc.collect()
        gc.freeze()
        gc.disable()
        self._thread = threading.Thread(target=self._run, name="gc-timer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            gc.collect()
            self.collections += 1

    def stop(self) -> None:
        """Back to CPython's automatic collection (frozen objects are scanned again)."""
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join(timeout=10)
        self._thread = None
        gc.unfreeze()
        gc.enable()
