"""One kiosk's core: outbox, clock, remote configuration, rating flow and MQTT link, wired together.

A face (buttons, touch screen, simulator) builds a `Kiosk` and uses it through the
contract in `kiosk.core.face_api` (`KioskCore`), which this class implements; `flow`,
`link`, `outbox` and `config` stay reachable for tests and benchmarks, not for faces.
Nothing here blocks on the network: a press touches only the local disk.
"""

from __future__ import annotations

import dataclasses
import logging
import time
import uuid
from collections.abc import Callable

from kiosk import __version__
from kiosk.core.clock import Clock
from kiosk.core.face_api import ConfigChanged, KioskEvent, KioskState, LinkChanged
from kiosk.core.flow import Choice, Flow, FlowEvent, Step, Timeouts
from kiosk.core.link import Link
from kiosk.core.outbox import Outbox, OutboxStats
from kiosk.core.remote_config import FlowConfig, RemoteConfig
from kiosk.core.settings import KioskSettings
from protocol import Face, Heartbeat, Rating
from protocol.messages import ReasonOption, ServiceOption

log = logging.getLogger(__name__)


class Kiosk:
    def __init__(
        self,
        settings: KioskSettings,
        *,
        clock: Clock | None = None,
        can_choose_service: bool = True,
        reason_slots: int | None = None,
        cooldown_override: float | None = None,
    ) -> None:
        """`can_choose_service`/`reason_slots`: what the face can show (see `Flow`).

        `cooldown_override` replaces the configured cooldown, local or remote: for simulators that
        compress the time between citizens, never for a kiosk in an office.
        """
        self.settings = settings
        self.clock = clock or Clock(settings.clock_synced)
        self.outbox = Outbox(settings.outbox_path, settings.kiosk_id, settings.device())
        self.config = RemoteConfig(settings, self.outbox)
        timeouts = Timeouts(
            service_s=settings.service_timeout_s,
            face_s=settings.face_timeout_s,
            reason_s=settings.reason_timeout_s,
            thank_you_s=settings.thank_you_s,
        )
        self._cooldown_override = cooldown_override
        self.flow = Flow(
            self.flow_config,
            self._record,
            timeouts,
            can_choose_service=can_choose_service,
            reason_slots=reason_slots,
            monotonic=self.clock.monotonic,
        )
        self.link = Link(settings, self.outbox, self.heartbeat, self.config.receive)

    def flow_config(self) -> FlowConfig:
        config = self.config.current
        if self._cooldown_override is None:
            return config
        return dataclasses.replace(config, cooldown_s=self._cooldown_override)

    # -- KioskCore: what faces use (see kiosk.core.face_api) -------------------------------------

    @property
    def kiosk_id(self) -> str:
        return self.settings.kiosk_id

    @property
    def step(self) -> Step:
        return self.flow.step

    @property
    def online(self) -> bool:
        return self.link.online

    @property
    def alive(self) -> bool:
        return self.link.alive

    def offered_services(self) -> tuple[ServiceOption, ...]:
        by_id = {s.id: s for s in self.flow_config().services}
        return tuple(by_id[i] for i in self.flow.offered_services() if i in by_id)

    def offered_reasons(self) -> tuple[ReasonOption, ...]:
        by_code = {r.code: r for r in self.flow_config().reasons}
        return tuple(by_code[c] for c in self.flow.offered_reasons() if c in by_code)

    def ready_in(self) -> float:
        return self.flow.ready_in()

    def begin(self) -> None:
        self.flow.begin()

    def choose_service(self, service: str) -> None:
        self.flow.choose_service(service)

    def press_face(self, face: Face) -> FlowEvent:
        return self.flow.press_face(face)

    def choose_reason(self, reason: str | None) -> FlowEvent | None:
        return self.flow.choose_reason(reason)

    def cancel(self) -> None:
        self.flow.cancel()

    def tick(self) -> None:
        self.flow.tick()

    def add_listener(self, listener: Callable[[KioskEvent], None]) -> None:
        self.flow.add_listener(listener)
        self.link.add_listener(lambda online: listener(LinkChanged(online)))

        def config_changed(_config: object) -> None:
            try:
                listener(ConfigChanged(self.flow_config()))
            except Exception:  # a face's bug must not cost the configuration
                log.exception("listener failed on a configuration change")

        self.config.add_listener(config_changed)

    def state(self) -> KioskState:
        stats = self.outbox.stats()
        now = self.clock.now()
        return KioskState(
            kiosk_id=self.settings.kiosk_id,
            organisation=self.settings.organisation,
            service_point=self.flow_config().service_point,
            software_version=__version__,
            broker=f"{self.settings.mqtt_host}:{self.settings.mqtt_port}",
            online=self.link.online,
            link_error=self.link.stats.last_error,
            outbox_depth=stats.depth,
            last_seq=stats.last_seq,
            watermark=stats.watermark,
            oldest_pending_age_s=self.pending_age_s(stats),
            config_revision=self.config.revision,
            config_error=self.config.error,
            clock_synced=self.clock.synced(now),
            clock_now=now,
            ignored_presses=self.flow.ignored_presses,
        )

    def start(self) -> None:
        stats = self.outbox.stats()
        log.info(
            "kiosk %s starting: last seq %d, %d rating(s) pending, config revision %s",
            self.settings.kiosk_id,
            stats.last_seq,
            stats.depth,
            self.config.revision,
        )
        self.link.start()

    def stop(self) -> None:
        self.link.stop()
        self.outbox.close()

    def _record(self, choice: Choice) -> Rating:
        config = self.config.current
        service = choice.service or self.settings.service
        if service is None and len(config.services) == 1:
            service = config.services[0].id

        def make(seq: int) -> Rating:
            pressed_at, reading = self.clock.reading()
            return Rating(
                event_id=uuid.uuid4(),
                kiosk_id=self.settings.kiosk_id,
                seq=seq,
                service_point=config.service_point,
                service=service,
                channel=config.channel,
                face=choice.face,
                reason=choice.reason,
                pressed_at=pressed_at,
                clock=reading,
            )

        return self.outbox.append(make)

    def pending_age_s(self, stats: OutboxStats) -> float | None:
        """Age of the oldest pending rating: by uptime within this run, by the wall clock across restarts."""
        oldest = stats.oldest
        if oldest is None:
            return None
        if oldest.boot_id == self.clock.boot_id:
            return max(0.0, (self.clock.uptime_ms() - oldest.uptime_ms) / 1000)
        return max(0.0, self.clock.now().timestamp() - oldest.wall_s)

    def heartbeat(self) -> Heartbeat:
        stats = self.outbox.stats()
        sent_at, reading = self.clock.reading()
        return Heartbeat(
            kiosk_id=self.settings.kiosk_id,
            instance=self.outbox.instance,
            sent_at=sent_at,
            clock=reading,
            software_version=__version__,
            last_seq=stats.last_seq,
            outbox_depth=stats.depth,
            lowest_held_seq=stats.lowest_held,
            oldest_pending_age_s=self.pending_age_s(stats),
            ignored_presses=self.flow.ignored_presses,
            config_revision=self.config.revision,
            config_error=self.config.error,
            session_takeovers=self.link.stats.takeovers,
        )

    def wait_until_delivered(self, timeout: float) -> bool:
        """True once the collector's watermark for this outbox's instance covers every rating taken so far."""
        deadline = time.monotonic() + timeout
        while not self.outbox.stats().delivered:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True
