"""The public addresses of the channels, built in one place from `COLLECTOR_PUBLIC_URL`."""

from __future__ import annotations


def link_url(base: str, link_id: str) -> str:
    """The web rating page of a rating link."""
    return f"{base.rstrip('/')}/r/{link_id}"


def voice_url(base: str, line_id: str) -> str:
    """Where a voice service sends a phone line's calls (its webhook)."""
    return f"{base.rstrip('/')}/phone/{line_id}/voice"
