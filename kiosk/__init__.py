"""Kiosk software: a UI-agnostic core (`kiosk.core`) and its faces (`kiosk.buttons`)."""

__version__ = "0.1.0"
