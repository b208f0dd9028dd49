"""PUBACKs in the order the messages arrived, whichever writer commits them first.

mosquitto finds the message a PUBACK names by walking its list of messages in flight to us from the
oldest, so acking a message that has thousands of unacknowledged ones ahead of it costs thousands of
steps. Each writer takes the messages of its own kiosks (`collector.ingest.pipeline`), so writers commit
out of arrival order; acking each batch as it commits made the broker walk past the other writer's batch
for every message, and it spent more CPU per rating than at one writer (bench/README.md, the national
day). Held here until every earlier message is committed too, each PUBACK names the oldest message in
flight, found at once. Nothing is acked before it is committed; an ack waits at most for the batch that
was being written when its message arrived.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from collector.ingest.messages import Inbound


class ArrivalOrder:
    """`arrived` on the transport's thread, `committed` on the acker's: a deque's appends and pops are
    atomic, and only the acker reads its head."""

    def __init__(self) -> None:
        self._arrived: deque[Inbound] = deque()
        self._committed: set[int] = set()
        """`id()` of committed messages not yet released: each is alive in `_arrived` until released."""

    def arrived(self, message: Inbound) -> None:
        self._arrived.append(message)

    def committed(self, messages: Iterable[Inbound]) -> list[Inbound]:
        """Note `messages` as committed; every message now free to ack, oldest first."""
        committed = self._committed
        committed.update(map(id, messages))
        arrived = self._arrived
        free = []
        while arrived and (key := id(arrived[0])) in committed:
            committed.remove(key)
            free.append(arrived.popleft())
        return free

    def __len__(self) -> int:
        """Messages arrived and not yet released."""
        return len(self._arrived)
