"""Updates handled concurrently across people, in order within one person and one chat.

Each update names its keys (its person, its chat). An update waits for the updates that arrived
before it with a key in common, and for a free slot among `limit`; nothing else holds it back.
The keys are forgotten as soon as their last update is done, so the table holds only the
people and chats with an update in flight, never everyone ever seen.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Hashable, Iterable
from typing import TypeVar

T = TypeVar("T")

# Updates of different people handled at once; a person's next update waits for their last.
DEFAULT_CONCURRENCY = 16


class KeyedOrder:
    """Runs work concurrently, at most `limit` at a time, in arrival order per key.

    `run` must be called in arrival order: it registers the work's keys before its first
    suspension, so the order of the calls is the order per key.
    """

    def __init__(self, limit: int = DEFAULT_CONCURRENCY) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self._slots = asyncio.Semaphore(limit)
        # For each key, the completion of the last work registered with it.
        self._last: dict[Hashable, asyncio.Future[None]] = {}
        self._running = 0

    @property
    def keys_in_flight(self) -> int:
        """How many keys have work waiting or running (0 when idle: nothing is kept)."""
        return len(self._last)

    @property
    def running(self) -> int:
        """How many works hold a slot now."""
        return self._running

    async def run(self, keys: Iterable[Hashable], work: Awaitable[T]) -> T:
        """Awaits `work` after the earlier works sharing one of `keys`, within the limit."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        keys = set(keys)
        before = set()
        for key in keys:
            previous = self._last.get(key)
            if previous is not None:
                before.add(previous)
            self._last[key] = done
        try:
            if before:
                # asyncio.wait never cancels what it waits for, even when this is cancelled.
                await asyncio.wait(before)
            async with self._slots:
                self._running += 1
                try:
                    return await work
                finally:
                    self._running -= 1
        finally:
            if asyncio.iscoroutine(work):
                work.close()  # never started (cancelled while waiting): no "never awaited"
            done.set_result(None)
            for key in keys:
                if self._last.get(key) is done:
                    del self._last[key]
