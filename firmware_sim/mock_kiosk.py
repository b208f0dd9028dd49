"""One simulated button kiosk: the real kiosk core and button panel, on gpiozero's MockFactory."""

from __future__ import annotations

from gpiozero import Device
from gpiozero.pins.mock import MockFactory

from kiosk.buttons.panel import ButtonPanel, ButtonPins
from kiosk.core.kiosk import Kiosk
from kiosk.core.publisher import Publisher
from kiosk.core.settings import KioskSettings
from protocol import Face


def use_mock_pins() -> MockFactory:
    """Install gpiozero's mock pin factory once per process and return it."""
    if not isinstance(Device.pin_factory, MockFactory):
        Device.pin_factory = MockFactory()
    assert isinstance(Device.pin_factory, MockFactory)
    return Device.pin_factory


class SimulatedButtonKiosk:
    """Presses happen by driving the mock GPIO pin low and high, exactly as a real button would."""

    def __init__(self, settings: KioskSettings, pins: ButtonPins | None = None) -> None:
        self.factory = use_mock_pins()
        password = settings.mqtt_password.get_secret_value() if settings.mqtt_password else None
        self.publisher = Publisher(
            settings.organisation, settings.kiosk_id, settings.mqtt_host, settings.mqtt_port, password
        )
        self.kiosk = Kiosk(settings, self.publisher)
        self.panel = ButtonPanel(self.kiosk.press, pins, bounce_time=None)

    def start(self) -> None:
        self.publisher.start()

    def press(self, face: Face) -> None:
        pin = self.factory.pin(self.panel.pins.of(face))
        pin.drive_low()
        pin.drive_high()

    def stop(self) -> None:
        self.panel.close()
        self.publisher.stop()
