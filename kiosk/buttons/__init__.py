"""The push-button kiosk: three faces on GPIO buttons (gpiozero)."""
