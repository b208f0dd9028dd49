"""Remote configuration: validated, the last good one kept on disk, a bad one rejected and reported.

The collector publishes a retained `KioskConfig` on the kiosk's config topic. Until
one arrives (and whenever one is refused) the kiosk runs on what it had: the last
accepted config from its outbox database, or its local settings. A refused config
never stops the kiosk: the reason goes out in the next heartbeat (`config_error`).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass

from i18n import labels
from i18n.citizen import REASONS
from kiosk.core.outbox import Outbox
from kiosk.core.settings import KioskSettings
from protocol import Channel, KioskConfig, ProtocolError, encode
from protocol.codec import decode_as
from protocol.messages import ReasonOption, ServiceOption

log = logging.getLogger(__name__)

MAX_ERROR_CHARS = 500
"""Heartbeat.config_error holds at most this much."""


@dataclass(frozen=True)
class FlowConfig:
    """What the rating flow needs to know, whichever source it came from."""

    service_point: str
    channel: Channel
    services: tuple[ServiceOption, ...]
    reasons: tuple[ReasonOption, ...]
    languages: tuple[str, ...]
    cooldown_s: float
    revision: int | None = None
    """Revision of the remote config in use; None while on local settings."""

    @classmethod
    def from_settings(cls, settings: KioskSettings) -> FlowConfig:
        return cls(
            service_point=settings.service_point,
            channel=settings.channel,
            services=(),
            reasons=tuple(ReasonOption(code=code, labels=_default_labels(code)) for code in settings.reasons),
            languages=("it", "en"),
            cooldown_s=settings.cooldown_s,
        )

    @classmethod
    def from_remote(cls, config: KioskConfig) -> FlowConfig:
        return cls(
            service_point=config.service_point,
            channel=config.channel,
            services=tuple(config.services),
            reasons=tuple(config.reasons),
            languages=tuple(config.languages),
            cooldown_s=config.cooldown_s,
            revision=config.revision,
        )

    def reason_codes(self) -> tuple[str, ...]:
        return tuple(reason.code for reason in self.reasons)


class RemoteConfig:
    """The kiosk's effective configuration. `receive()` runs on the MQTT thread; readers may be anywhere."""

    def __init__(self, settings: KioskSettings, store: Outbox) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._listeners: list[Callable[[FlowConfig], None]] = []
        self._remote: KioskConfig | None = None
        self.error: str | None = None
        self.current = FlowConfig.from_settings(settings)
        saved = store.load_config()
        if saved is not None:
            try:
                self._remote = decode_as(KioskConfig, saved)
            except ProtocolError as exc:  # written by us, so only a newer/older version could cause this
                log.warning("ignoring the saved remote config: %s", exc)
            else:
                self.current = FlowConfig.from_remote(self._remote)
                log.info("using saved remote config revision %d", self._remote.revision)

    def add_listener(self, listener: Callable[[FlowConfig], None]) -> None:
        self._listeners.append(listener)

    @property
    def revision(self) -> int | None:
        return self.current.revision

    def receive(self, payload: bytes) -> bool:
        """Consider a config message; True when it changed the configuration. Never raises."""
        if not payload:
            log.info("the retained config was cleared on the broker; keeping the one in use")
            return False
        try:
            config = decode_as(KioskConfig, payload)
        except ProtocolError as exc:
            return self._reject(str(exc), payload)
        with self._lock:
            current = self._remote
            if current is not None and config.revision < current.revision:
                return self._reject(f"revision {config.revision} is older than revision {current.revision} in use")
            if current is not None and config.revision == current.revision:
                if config == current:
                    return False  # the retained copy again, on reconnection
                return self._reject(f"revision {config.revision} was already used for a different configuration")
            try:
                self._store.save_config(encode(config))
            except Exception as exc:
                return self._reject(f"cannot save the configuration: {exc}")
            self._remote = config
            self.current = FlowConfig.from_remote(config)
            self.error = None
        log.info("remote config revision %d accepted", config.revision)
        for listener in self._listeners:
            listener(self.current)
        return True

    def _reject(self, reason: str, payload: bytes = b"") -> bool:
        self.error = clean_text(f"config rejected: {reason}")
        log.warning("%s (payload %r)", self.error, payload[:200])
        return False


def _default_labels(code: str) -> dict[str, str]:
    return labels(REASONS[code]) if code in REASONS else {"it": code}


def clean_text(text: str, limit: int = MAX_ERROR_CHARS) -> str:
    """One line of printable text within `limit` characters (what the heartbeat accepts)."""
    text = re.sub(r"[\x00-\x1f\x7f]+", " ", text).strip()
    return text if len(text) <= limit else text[: limit - 3] + "..."
