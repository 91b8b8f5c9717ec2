"""Token buckets for the fake servers' flood control."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Hashable, Sequence
from typing import Generic, Protocol, TypeVar


class GlobalRate(Protocol):
    """Limits with a bot-wide rate (each server's RateLimits)."""

    @property
    def global_per_second(self) -> float:
        """Sends per second for the whole bot (also its burst)."""
        ...


LimitsT = TypeVar("LimitsT", bound=GlobalRate)
ChatT = TypeVar("ChatT", bound=Hashable)


class TokenBucket:
    """A token bucket: `capacity` tokens, refilled continuously at `rate` tokens per second."""

    __slots__ = ("capacity", "rate", "stamp", "tokens")

    def __init__(self, capacity: float, rate: float, now: float) -> None:
        """Creates a full bucket.

        Args:
            capacity: The most tokens the bucket holds (the burst size).
            rate: Tokens added per second.
            now: The current monotonic time.
        """
        self.capacity = capacity
        self.rate = rate
        self.tokens = capacity
        self.stamp = now

    def refill(self, now: float) -> None:
        """Adds the tokens earned since the last refill."""
        if now > self.stamp:
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now

    def wait_time(self, now: float) -> float:
        """Seconds until one token is available (0 if one is available now)."""
        self.refill(now)
        if self.tokens >= 1.0:
            return 0.0
        if self.rate <= 0:
            return math.inf
        return (1.0 - self.tokens) / self.rate

    def take(self) -> None:
        """Consumes one token (call `wait_time` first)."""
        self.tokens -= 1.0


def take_from_all(buckets: Sequence[TokenBucket], now: float) -> int:
    """Takes a token from every bucket, or from none of them when one is empty.

    Returns:
        0 when the send may go ahead, else the whole seconds to wait (at least 1; 3600 when a
        bucket never refills): the `retry_after` of the 429 answer.
    """
    wait = max(bucket.wait_time(now) for bucket in buckets)
    if wait > 0:
        return max(1, math.ceil(wait)) if math.isfinite(wait) else 3600
    for bucket in buckets:
        bucket.take()
    return 0


class ChatRateLimiter(Generic[LimitsT, ChatT]):
    """One bucket for the bot and one per chat; a refused send consumes no token."""

    def __init__(self, limits: LimitsT, clock: Callable[[], float] = time.monotonic) -> None:
        """Creates the limiter.

        Args:
            limits: The limits to enforce.
            clock: The monotonic clock (injectable for tests).
        """
        self.limits = limits
        self._clock = clock
        self._global = TokenBucket(limits.global_per_second, limits.global_per_second, clock())
        self._chats: dict[ChatT, TokenBucket] = {}

    def _take(self, chat_id: ChatT | None, new_bucket: Callable[[float], TokenBucket]) -> int:
        """Takes a token from the bot's bucket and the chat's, or from neither (see take_from_all).

        Args:
            chat_id: The target chat, or None when only the bot-wide limit applies.
            new_bucket: Makes the chat's bucket, given the time, on its first send.
        """
        now = self._clock()
        buckets = [self._global]
        if chat_id is not None:
            bucket = self._chats.get(chat_id)
            if bucket is None:
                bucket = self._chats[chat_id] = new_bucket(now)
            buckets.append(bucket)
        return take_from_all(buckets, now)
