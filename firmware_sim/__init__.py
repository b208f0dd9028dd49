"""Simulated push-button kiosks and citizens, running the real kiosk code on gpiozero mock pins."""
