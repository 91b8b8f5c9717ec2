"""Token buckets for the channel's rate limits: overall, per private chat, per group."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class TokenBucket:
    """A bucket of `capacity` tokens refilled at `rate` per second (monotonic seconds)."""

    capacity: float
    rate: float
    tokens: float = -1.0
    updated: float = 0.0

    def __post_init__(self) -> None:
        if self.tokens < 0:
            self.tokens = self.capacity

    def _refill(self, now: float) -> None:
        if now > self.updated:
            self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
            self.updated = now

    def wait(self, now: float) -> float:
        """Returns how many seconds until one token is available (0 if one is)."""
        self._refill(now)
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self, now: float) -> None:
        """Spends one token (callers check `wait` first)."""
        self._refill(now)
        self.tokens -= 1

    def full(self, now: float) -> bool:
        """Tells whether the bucket has refilled completely (so it can be forgotten)."""
        self._refill(now)
        return self.tokens >= self.capacity


@dataclass
class RateLimiter:
    """Keeps sends within overall, per-private-chat and per-group limits.

    Our buckets are smaller than the channel's so that network jitter never makes two of our
    sends arrive closer together than the channel allows. A private chat may take two messages
    at once (a reply right after a notification), then one a second, as Telegram tolerates.
    """

    global_per_second: float = 30.0
    private_per_second: float = 1.0
    group_per_minute: float = 20.0
    overall: TokenBucket = field(init=False)
    chats: dict[str, TokenBucket] = field(default_factory=dict)
    paused_until: dict[str, float] = field(default_factory=dict)
    _last_prune: float = 0.0

    def __post_init__(self) -> None:
        self.overall = TokenBucket(capacity=3, rate=self.global_per_second)

    def _chat_bucket(self, chat_id: str, is_group: bool) -> TokenBucket:
        bucket = self.chats.get(chat_id)
        if bucket is None:
            if is_group:
                # Groups have a hard per-minute limit and no interactive replies to speed up.
                bucket = TokenBucket(capacity=1, rate=self.group_per_minute / 60)
            else:
                # Two lets a reply follow a notification at once; Telegram tolerates short bursts.
                bucket = TokenBucket(capacity=2, rate=self.private_per_second)
            self.chats[chat_id] = bucket
        return bucket

    def overall_wait(self, now: float) -> float:
        """Returns seconds until the overall limit allows another send."""
        return self.overall.wait(now)

    def chat_wait(self, chat_id: str, is_group: bool, now: float) -> float:
        """Returns seconds until this chat may receive another message."""
        pause = self.paused_until.get(chat_id, 0.0) - now
        return max(pause, self._chat_bucket(chat_id, is_group).wait(now))

    def busy_chats(self, now: float) -> list[str]:
        """Returns chats that cannot take a message right now."""
        self._prune(now)
        busy = [cid for cid, b in self.chats.items() if b.wait(now) > 0]
        busy.extend(cid for cid, until in self.paused_until.items() if until > now)
        return busy

    def soonest_ready(self, now: float) -> float | None:
        """Returns seconds until the first held-back chat may receive again (None if none is)."""
        waits = [b.wait(now) for b in self.chats.values()]
        waits.extend(until - now for until in self.paused_until.values())
        positive = [w for w in waits if w > 0]
        return min(positive) if positive else None

    def take(self, chat_id: str, is_group: bool, now: float) -> None:
        """Records one send to `chat_id`."""
        self.overall.take(now)
        self._chat_bucket(chat_id, is_group).take(now)

    def pause_chat(self, chat_id: str, seconds: float, now: float) -> None:
        """Holds a chat back after the channel said to retry later."""
        self.paused_until[chat_id] = now + seconds

    def _prune(self, now: float) -> None:
        # Forget idle chats so memory stays flat however many chats we have written to.
        if now - self._last_prune < 5:
            return
        self._last_prune = now
        for chat_id in [c for c, b in self.chats.items() if b.full(now)]:
            del self.chats[chat_id]
        for chat_id in [c for c, until in self.paused_until.items() if until <= now]:
            del self.paused_until[chat_id]
