"""What the numbers mean beyond the flag: opening hours as instants, participation (ratings / citizens served)."""
