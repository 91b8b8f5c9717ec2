"""Bot API methods that act on the fake world: getMe, sendMessage, sendPhoto, sendChatAction."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fake_zalo.limits import RateLimiter
from fake_zalo.models import JSON, bad_request, quota_exceeded, too_many_requests
from fake_zalo.state import ChatState, World

MAX_TEXT = 2000
MAX_CAPTION = 2000
CHAT_ACTIONS = frozenset({"typing", "upload_photo"})

#: Methods that send a message: they count against the quota and the rate limits.
SEND_METHODS = frozenset({"sendMessage", "sendPhoto"})

Handler = Callable[[JSON], Any]


def _text_param(params: JSON, name: str) -> str:
    value = params.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise bad_request(f"{name} must be a string")
    return value


class BotApi:
    """Implements the world-changing methods; each handler is synchronous and atomic."""

    def __init__(
        self, world: World, monthly_quota: int | None, limiter: RateLimiter | None
    ) -> None:
        """Creates the method table.

        Args:
            world: The fake world.
            monthly_quota: Successful sends allowed before 429 "Quota exceeded" (None: no limit).
            limiter: The flood control, or None for none.
        """
        self.world = world
        self.monthly_quota = monthly_quota
        self.limiter = limiter
        self.quota_used = 0
        self.handlers: dict[str, Handler] = {
            "getMe": self.get_me,
            "sendMessage": self.send_message,
            "sendPhoto": self.send_photo,
            "sendChatAction": self.send_chat_action,
        }

    def get_me(self, params: JSON) -> JSON:  # noqa: ARG002
        """getMe: the bot's account."""
        bot = self.world.bot
        return {
            "id": bot.id,
            "account_name": self.world.account_name,
            "account_type": "BASIC",
            "can_join_groups": False,
            "display_name": bot.display_name,
        }

    def _admit(self, state: ChatState) -> None:
        """Refuses a send when the quota is used up or the chat/bot is over its rate limit."""
        quota = self.monthly_quota
        if quota is not None and self.quota_used >= quota:
            raise quota_exceeded(quota)
        if self.limiter is not None:
            retry_after = self.limiter.acquire(state.id)
            if retry_after:
                raise too_many_requests(retry_after)

    def send_message(self, params: JSON) -> JSON:
        """sendMessage(chat_id, text): plain text of 1 to 2000 characters."""
        text = _text_param(params, "text")
        if not 1 <= len(text) <= MAX_TEXT or not text.strip():
            raise bad_request(
                f"text must be 1 to {MAX_TEXT} characters long and not blank "
                f"(got {len(text)} characters)"
            )
        state = self.world.find_target(params.get("chat_id"))
        self._admit(state)
        self.quota_used += 1
        return self.world.store_sent(state, {"kind": "text", "text": text})

    def send_photo(self, params: JSON) -> JSON:
        """sendPhoto(chat_id, photo, caption): a photo by http(s) URL; no uploads."""
        photo = params.get("photo")
        if not isinstance(photo, str) or not photo.startswith(("http://", "https://")):
            raise bad_request("photo must be an http(s) URL; uploads are not supported")
        caption = _text_param(params, "caption")
        if len(caption) > MAX_CAPTION:
            raise bad_request(
                f"caption must be at most {MAX_CAPTION} characters long "
                f"(got {len(caption)} characters)"
            )
        state = self.world.find_target(params.get("chat_id"))
        self._admit(state)
        self.quota_used += 1
        return self.world.store_sent(state, {"kind": "photo", "photo": photo, "caption": caption})

    def send_chat_action(self, params: JSON) -> bool:
        """sendChatAction(chat_id, action): "typing" or "upload_photo"; not counted."""
        action = params.get("action")
        if action not in CHAT_ACTIONS:
            raise bad_request(f"action must be one of {', '.join(sorted(CHAT_ACTIONS))}")
        self.world.find_target(params.get("chat_id"))
        return True
