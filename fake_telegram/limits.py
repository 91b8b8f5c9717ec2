"""Token-bucket flood control shaped like Telegram's limits for sending methods."""

from __future__ import annotations

from fake_common.limits import ChatRateLimiter, TokenBucket
from fake_telegram.models import RateLimits


class RateLimiter(ChatRateLimiter[RateLimits, int]):
    """Per-bot, per-private-chat and per-group buckets; a refused send consumes nothing."""

    def acquire(self, chat_id: int | None, is_group: bool) -> int:
        """Takes a token from every bucket that applies, or none of them.

        Args:
            chat_id: The target chat, or None when only the bot-wide limit applies.
            is_group: Whether the chat is a group or supergroup.

        Returns:
            0 when the send may go ahead, else the seconds to wait (at least 1), Telegram's
            `retry_after`.
        """
        limits = self.limits

        def new_bucket(now: float) -> TokenBucket:
            if is_group:
                return TokenBucket(limits.group_per_minute, limits.group_per_minute / 60.0, now)
            return TokenBucket(limits.private_burst, limits.private_per_second, now)

        return self._take(chat_id, new_bucket)
