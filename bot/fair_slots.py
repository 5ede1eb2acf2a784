"""A fair share of the answering slots between servers: one server's backlog cannot hold back another's question.

At most ``n`` jobs run at once (CPU-bound answering in worker threads). When a slot frees, it goes to the waiting
server that holds the fewest slots, oldest waiter first among equals: a server flooding the bot keeps its own
questions waiting behind each other, while a question from a quiet server takes the next free slot.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter, deque
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager


class FairSlots:
    """``async with slots.taken(server):`` waits for a slot, fairly across ``server`` keys (None: DMs/CLI)."""

    def __init__(self, n: int) -> None:
        self.n = max(1, n)
        self.running: Counter[Hashable] = Counter()
        self.waiting: dict[Hashable, deque[tuple[int, asyncio.Future]]] = {}
        self.order = itertools.count()

    @property
    def busy(self) -> int:
        """Slots in use."""
        return sum(self.running.values())

    @asynccontextmanager
    async def taken(self, server: Hashable = None) -> AsyncIterator[None]:
        if self.busy < self.n and not self.waiting:
            self.running[server] += 1
        else:
            granted = asyncio.get_running_loop().create_future()
            self.waiting.setdefault(server, deque()).append((next(self.order), granted))
            try:
                await granted
            except asyncio.CancelledError:
                if granted.done() and not granted.cancelled():  # granted just as it was cancelled: give it back
                    self._release(server)
                raise
        try:
            yield
        finally:
            self._release(server)

    def _release(self, server: Hashable) -> None:
        self.running[server] -= 1
        if self.running[server] <= 0:
            del self.running[server]
        self._grant()

    def _grant(self) -> None:
        while self.busy < self.n and self.waiting:
            server = min(self.waiting, key=lambda s: (self.running[s], self.waiting[s][0][0]))
            queue = self.waiting[server]
            _, granted = queue.popleft()
            if not queue:
                del self.waiting[server]
            if granted.cancelled():
                continue
            self.running[server] += 1
            granted.set_result(None)
