"""Plain data objects of the fake Zalo server: users, groups, calls, deliveries, limits, errors."""

from __future__ import annotations

from dataclasses import dataclass

from fake_common.models import JSON as JSON
from fake_common.models import ApiError as ApiError
from fake_common.models import BaseCall
from fake_common.models import bad_request as bad_request

PRIVATE = "PRIVATE"
GROUP = "GROUP"

#: Permanent failure: the chat id belongs to nobody who ever wrote to the bot.
NOT_INTERACTED = (403, "Forbidden: the user has not interacted with the bot")
#: Permanent failure (until the user writes again): the user blocked the bot.
BLOCKED = (403, "Forbidden: the user has blocked the bot")


@dataclass(frozen=True)
class FakeZaloUser:
    """A Zalo user simulated by the fake server.

    Attributes:
        id: The Zalo user id, a string (also the id of the user's private chat with the bot).
        display_name: The name Zalo shows.
        is_bot: Whether this user is a bot (only the fake bot itself is).
    """

    id: str
    display_name: str
    is_bot: bool = False

    def to_dict(self) -> JSON:
        """Returns the `from` object of an event sent by this user."""
        return {"id": self.id, "display_name": self.display_name, "is_bot": self.is_bot}


@dataclass(frozen=True)
class FakeZaloGroup:
    """A Zalo group chat the bot is in (events from it have chat_type "GROUP").

    Attributes:
        id: The group's chat id, a string.
        name: The group's name (not part of events; for people reading tests).
    """

    id: str
    name: str


class Call(BaseCall):
    """One Bot API request the fake server received.

    Attributes:
        method: The method name exactly as requested, e.g. "sendMessage".
        params: The request parameters (query string and body merged; chat_id always a string).

    `result`, `error`, `at` and `ok` are described in BaseCall.
    """

    @property
    def chat_id(self) -> str | None:
        """The chat_id parameter of the call, if any."""
        value = self.params.get("chat_id")
        return None if value is None else str(value)


@dataclass(frozen=True)
class WebhookDelivery:
    """One attempt to POST an event to the webhook.

    Attributes:
        url: The webhook URL.
        event: The event delivered.
        body: The JSON body posted (the event, or `{"ok": true, "result": event}`).
        secret_token: The value of the X-Bot-Api-Secret-Token header.
        attempt: 1 for the first attempt, 2 for the first retry, …
        status: The HTTP status of the answer, None when the connection failed.
        error: Why the attempt failed, None when it succeeded.
        at: `time.monotonic()` when the attempt ended.
    """

    url: str
    event: JSON
    body: JSON
    secret_token: str
    attempt: int
    status: int | None
    error: str | None
    at: float

    @property
    def ok(self) -> bool:
        """Whether the webhook answered with a 2xx status."""
        return self.error is None


@dataclass(frozen=True)
class RateLimits:
    """Simple flood limits for sendMessage/sendPhoto: token buckets per chat and per bot.

    Zalo does not publish its limits; these only let tests exercise the bot's handling of
    `429 Too Many Requests` with `parameters.retry_after`.

    Attributes:
        per_chat_per_second: Refill rate of each chat's bucket.
        per_chat_burst: Capacity of each chat's bucket (sends allowed back to back).
        global_per_second: Sends per second for the whole bot (also its burst).
    """

    per_chat_per_second: float = 1.0
    per_chat_burst: float = 3.0
    global_per_second: float = 30.0


def too_many_requests(retry_after: int) -> ApiError:
    """Returns the rate-limit error: 429 "Too Many Requests" with parameters.retry_after."""
    return ApiError(429, "Too Many Requests", {"retry_after": retry_after})


def quota_exceeded(quota: int | None) -> ApiError:
    """Returns the quota error: 429 "Quota exceeded: …" without retry_after."""
    limit = f"{quota} messages" if quota is not None else "messages"
    return ApiError(429, f"Quota exceeded: the monthly quota of {limit} is used up")
