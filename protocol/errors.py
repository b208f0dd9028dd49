"""The one exception the protocol raises."""

from __future__ import annotations


class ProtocolError(ValueError):
    """A topic or payload that does not follow the contract.

    `reason` is a short stable code (for counters and the quarantine table);
    the message is a sentence for people.
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
