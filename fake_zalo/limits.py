"""Token-bucket flood control for the fake Zalo server's sending methods."""

from __future__ import annotations

from fake_common.limits import ChatRateLimiter, TokenBucket
from fake_zalo.models import RateLimits


class RateLimiter(ChatRateLimiter[RateLimits, str]):
    """One bucket for the bot and one per chat; a refused send consumes no token."""

    def acquire(self, chat_id: str) -> int:
        """Takes a token for a send to `chat_id` from every bucket, or none of them.

        Returns:
            0 when the send may go ahead, else the whole seconds to wait (at least 1): the
            `retry_after` of the 429 answer.
        """
        limits = self.limits
        return self._take(
            chat_id,
            lambda now: TokenBucket(limits.per_chat_burst, limits.per_chat_per_second, now),
        )
