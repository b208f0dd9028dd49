"""The smallest kiosk core: a press of a face becomes a published `Rating`."""

from __future__ import annotations

import threading
import uuid

import paho.mqtt.client as mqtt

from kiosk.core.clock import Clock
from kiosk.core.publisher import Publisher
from kiosk.core.settings import KioskSettings
from protocol import Face, Rating, TopicKind


class Kiosk:
    def __init__(self, settings: KioskSettings, publisher: Publisher, clock: Clock | None = None) -> None:
        self.settings = settings
        self.publisher = publisher
        self.clock = clock or Clock()
        self._seq = 0
        self._lock = threading.Lock()
        self.sent: list[mqtt.MQTTMessageInfo] = []

    def press(self, face: Face, reason: str | None = None) -> Rating:
        with self._lock:
            self._seq += 1
            rating = Rating(
                event_id=uuid.uuid4(),
                kiosk_id=self.settings.kiosk_id,
                seq=self._seq,
                service_point=self.settings.service_point,
                service=self.settings.service,
                channel=self.settings.channel,
                face=face,
                reason=reason,
                pressed_at=self.clock.now(),
                clock=self.clock.reading(),
            )
            self.sent.append(self.publisher.publish(TopicKind.RATING, rating))
        return rating

    def wait_until_sent(self, timeout: float = 30) -> bool:
        """True when the broker acknowledged every rating published so far."""
        for info in self.sent:
            info.wait_for_publish(timeout)
        return all(info.is_published() for info in self.sent)
