"""What every kiosk face shares: turning a press into a published rating."""
