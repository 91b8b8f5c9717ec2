"""Token-bucket flood control shaped like Telegram's limits for sending methods."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from fake_telegram.models import RateLimits


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


class RateLimiter:
    """Per-bot, per-private-chat and per-group buckets; a refused send consumes nothing."""

    def __init__(self, limits: RateLimits, clock: Callable[[], float] = time.monotonic) -> None:
        """Creates the limiter.

        Args:
            limits: The limits to enforce.
            clock: The monotonic clock (injectable for tests).
        """
        self.limits = limits
        self._clock = clock
        self._global = TokenBucket(limits.global_per_second, limits.global_per_second, clock())
        self._chats: dict[int, TokenBucket] = {}

    def _chat_bucket(self, chat_id: int, is_group: bool, now: float) -> TokenBucket:
        bucket = self._chats.get(chat_id)
        if bucket is None:
            if is_group:
                per_minute = self.limits.group_per_minute
                bucket = TokenBucket(per_minute, per_minute / 60.0, now)
            else:
                bucket = TokenBucket(
                    self.limits.private_burst, self.limits.private_per_second, now
                )
            self._chats[chat_id] = bucket
        return bucket

    def acquire(self, chat_id: int | None, is_group: bool) -> int:
        """Takes a token from every bucket that applies, or none of them.

        Args:
            chat_id: The target chat, or None when only the bot-wide limit applies.
            is_group: Whether the chat is a group or supergroup.

        Returns:
            0 when the send may go ahead, else the seconds to wait (at least 1), Telegram's
            `retry_after`.
        """
        now = self._clock()
        buckets = [self._global]
        if chat_id is not None:
            buckets.append(self._chat_bucket(chat_id, is_group, now))
        wait = max(bucket.wait_time(now) for bucket in buckets)
        if wait > 0:
            return max(1, math.ceil(wait)) if math.isfinite(wait) else 3600
        for bucket in buckets:
            bucket.take()
        return 0
