"""Never a frozen screen or a traceback: an unexpected error is logged and the kiosk returns to idle.

`guarded` wraps the app's handlers; `LogAndRecover` catches what escapes into Kivy's own loop.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from kivy.base import ExceptionHandler, ExceptionManager

if TYPE_CHECKING:
    from kiosk.touch.app import TouchKioskApp

log = logging.getLogger("kiosk.touch.app")
F = TypeVar("F", bound=Callable[..., Any])


def guarded(method: F) -> F:
    """Run a UI handler; on any error log it and go back to idle instead of crashing or freezing."""

    @functools.wraps(method)
    def run(self: TouchKioskApp, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except Exception:
            log.exception("touch kiosk: %s failed; back to idle", method.__name__)
            self.recover()
            return None

    return run  # type: ignore[return-value]


class LogAndRecover(ExceptionHandler):
    def __init__(self, app: TouchKioskApp) -> None:
        super().__init__()
        self.app = app

    def handle_exception(self, exception: BaseException) -> int:
        if not isinstance(exception, Exception):  # KeyboardInterrupt, SystemExit: let them stop the app
            return int(ExceptionManager.RAISE)
        log.error("touch kiosk: unexpected error; back to idle", exc_info=exception)
        self.app.recover()
        return int(ExceptionManager.PASS)
