"""Token-bucket flood control for the fake Zalo server's sending methods."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from fake_zalo.models import RateLimits


class _Bucket:
    """`capacity` tokens, refilled continuously at `rate` tokens per second."""

    __slots__ = ("capacity", "rate", "stamp", "tokens")

    def __init__(self, capacity: float, rate: float, now: float) -> None:
        self.capacity = capacity
        self.rate = rate
        self.tokens = capacity
        self.stamp = now

    def wait(self, now: float) -> float:
        """Seconds until a token is available (0 when one is available now)."""
        if now > self.stamp:
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
        if self.tokens >= 1.0:
            return 0.0
        return (1.0 - self.tokens) / self.rate if self.rate > 0 else math.inf


class RateLimiter:
    """One bucket for the bot and one per chat; a refused send consumes no token."""

    def __init__(self, limits: RateLimits, clock: Callable[[], float] = time.monotonic) -> None:
        """Creates the limiter.

        Args:
            limits: The limits to enforce.
            clock: The monotonic clock (injectable for tests).
        """
        self.limits = limits
        self._clock = clock
        self._global = _Bucket(limits.global_per_second, limits.global_per_second, clock())
        self._chats: dict[str, _Bucket] = {}

    def acquire(self, chat_id: str) -> int:
        """Takes a token for a send to `chat_id` from every bucket, or none of them.

        Returns:
            0 when the send may go ahead, else the whole seconds to wait (at least 1): the
            `retry_after` of the 429 answer.
        """
        now = self._clock()
        chat = self._chats.get(chat_id)
        if chat is None:
            limits = self.limits
            chat = _Bucket(limits.per_chat_burst, limits.per_chat_per_second, now)
            self._chats[chat_id] = chat
        wait = max(self._global.wait(now), chat.wait(now))
        if wait > 0:
            return max(1, math.ceil(wait)) if math.isfinite(wait) else 3600
        self._global.tokens -= 1.0
        chat.tokens -= 1.0
        return 0
