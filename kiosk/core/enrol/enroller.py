"""Waiting for enrolment, whatever the face: codes typed on the screen, the boot partition's file, retries.

One worker thread asks the collector, so a face never waits on the network; every change of state goes to
the listeners (from that thread). A code the collector refuses for good is said so and forgotten; when
the collector cannot be reached the same code is asked again after `retry_s` (or the collector's
`Retry-After`). Once enrolled, the identity is on disk and `done` is set: the face restarts the program.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from kiosk.core.enrol import client, code_file
from kiosk.core.enrol.identity import write_identity
from kiosk.core.enrol.settings import EnrolSettings
from protocol.enrolment import Enrolment, parse_entry

log = logging.getLogger(__name__)

POLL_S = 2.0


class Phase(StrEnum):
    WAITING = "waiting"
    CHECKING = "checking"
    INVALID = "invalid"
    """What was typed is not a code (16 digits)."""
    NO_URL = "no-url"
    REFUSED = "refused"
    RETRYING = "retrying"
    ENROLLED = "enrolled"


@dataclass(frozen=True)
class EnrolState:
    phase: Phase
    kind: str = ""
    """REFUSED: the collector's problem kind (enrolment-code-used, ...)."""
    detail: str = ""
    retry_at: float | None = None
    """RETRYING: when (monotonic) the code is asked again."""
    kiosk: str | None = None


Redeem = Callable[[str, str, Path | None], Enrolment]


class Enroller:
    def __init__(self, enrol: EnrolSettings, data_dir: Path, redeem: Redeem = client.redeem) -> None:
        self.enrol, self.data_dir, self._redeem = enrol, data_dir, redeem
        self.state = EnrolState(Phase.WAITING)
        self.done = threading.Event()
        self._listeners: list[Callable[[EnrolState], None]] = []
        self._typed: queue.Queue[str] = queue.Queue()
        self._stop = threading.Event()
        self._retry: tuple[str, str, bool] | None = None
        self._thread = threading.Thread(target=self._run, name="enrolment", daemon=True)

    def add_listener(self, listener: Callable[[EnrolState], None]) -> None:
        self._listeners.append(listener)

    def start(self) -> None:
        log.info(
            "no kiosk identity: waiting for an enrolment code (typed, or in %s); collector %s",
            self.enrol.code_file,
            self.enrol.url or "from the code's QR",
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=client.TIMEOUT_S + 5)

    def submit(self, text: str) -> None:
        """A code typed or scanned (any thread)."""
        self._typed.put(text)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    # -- the worker ---------------------------------------------------------------------------------

    def _set(self, state: EnrolState) -> None:
        self.state = state
        for listener in self._listeners:
            try:
                listener(state)
            except Exception:
                log.exception("enrolment listener failed")

    def _run(self) -> None:
        while not self._stop.is_set() and not self.done.is_set():
            try:
                self._step()
            except Exception:  # never a dead worker: said, and the next round tries again
                log.exception("enrolment step failed")
                self._stop.wait(POLL_S)

    def _step(self) -> None:
        try:
            typed = self._typed.get(timeout=POLL_S)
        except queue.Empty:
            typed = None
        if typed is not None:
            self._retry = None
            self._try(typed, from_file=False)
        elif self._retry is not None and self.state.retry_at is not None and time.monotonic() >= self.state.retry_at:
            code, url, from_file = self._retry
            self._ask(code, url, from_file)
        elif self._retry is None and (text := code_file.take(self.enrol.code_file, self.data_dir)) is not None:
            self._try(text, from_file=True)

    def _try(self, text: str, from_file: bool) -> None:
        code, qr_url = parse_entry(text)
        if code is None:
            if from_file:
                code_file.refused(self.data_dir)
            self._set(EnrolState(Phase.INVALID, detail=text[:40]))
            return
        url = self.enrol.url or qr_url
        if url is None:
            if from_file:
                code_file.refused(self.data_dir)
            self._set(EnrolState(Phase.NO_URL))
            return
        if qr_url is not None and self.enrol.url is not None and qr_url != self.enrol.url:
            log.info("the code's QR names %s; enrolling with the configured %s", qr_url, self.enrol.url)
        self._ask(code, url, from_file)

    def _ask(self, code: str, url: str, from_file: bool) -> None:
        self._set(EnrolState(Phase.CHECKING))
        try:
            enrolment = self._redeem(url, code, self.enrol.ca_file)
        except client.CodeRefused as exc:
            self._retry = None
            if from_file:
                code_file.refused(self.data_dir)
            log.warning("enrolment code refused (%s): %s", exc.kind, exc.detail)
            self._set(EnrolState(Phase.REFUSED, kind=exc.kind, detail=exc.detail))
            return
        except ValueError as exc:  # the URL itself is wrong: asking again will not help
            self._retry = None
            self._set(EnrolState(Phase.REFUSED, kind="bad-url", detail=str(exc)))
            return
        except client.NotNow as exc:
            wait = exc.retry_after_s or self.enrol.retry_s
            self._retry = (code, url, from_file)
            log.warning("enrolment: %s; asking again in %.0f s", exc.reason, wait)
            self._set(EnrolState(Phase.RETRYING, detail=exc.reason, retry_at=time.monotonic() + wait))
            return
        write_identity(self.data_dir, enrolment)
        code_file.spent(self.data_dir)
        log.info("enrolled as kiosk %s of %s at %s", enrolment.kiosk, enrolment.organisation, enrolment.service_point)
        self._set(EnrolState(Phase.ENROLLED, kiosk=enrolment.kiosk))
        self.done.set()
