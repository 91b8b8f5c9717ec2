"""Plain data objects of the fake Telegram server: users, chats, recorded calls, limits."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fake_common.models import JSON as JSON
from fake_common.models import ApiError as ApiError
from fake_common.models import BaseCall
from fake_common.models import bad_request as bad_request


@dataclass(frozen=True)
class FakeUser:
    """A Telegram user simulated by the fake server.

    Attributes:
        id: The Telegram user id (also the id of the user's private chat with the bot).
        first_name: The user's first name.
        last_name: The user's last name, if any.
        username: The @username without the "@", if any.
        language_code: The IETF language tag of the user's client, if any.
        is_bot: Whether this user is a bot (only the fake bot itself is).
    """

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False

    @property
    def full_name(self) -> str:
        """The first name and the last name joined by a space, as Telegram clients show it."""
        if self.last_name:
            return f"{self.first_name} {self.last_name}"
        return self.first_name

    def to_dict(self) -> JSON:
        """Returns the Bot API `User` object of this user."""
        data: JSON = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data


@dataclass(frozen=True)
class FakeChat:
    """A chat the fake server knows: a user's private chat with the bot, a group or a supergroup.

    Attributes:
        id: The chat id (positive for private chats, negative for groups, -100… for supergroups).
        type: "private", "group" or "supergroup".
        title: The group title (None for private chats).
        first_name: The user's first name (private chats only).
        last_name: The user's last name (private chats only).
        username: The user's @username without "@" (private chats only).
    """

    id: int
    type: str
    title: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    username: str | None = None

    @property
    def is_group(self) -> bool:
        """Whether this is a group or a supergroup."""
        return self.type in ("group", "supergroup")

    def to_dict(self) -> JSON:
        """Returns the Bot API `Chat` object of this chat (as embedded in messages)."""
        data: JSON = {"id": self.id, "type": self.type}
        if self.title is not None:
            data["title"] = self.title
        if self.first_name is not None:
            data["first_name"] = self.first_name
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.type == "group":
            data["all_members_are_administrators"] = False
        return data


class Call(BaseCall):
    """One Bot API request the fake server received.

    Attributes:
        method: The canonical camelCase method name, e.g. "sendMessage".
        params: The request parameters; JSON-string parameters are decoded, chat_id, message_id,
            user_id (and similar) are ints when numeric, booleans are bools. An uploaded file
            appears as {"upload": file name, "size": bytes, "mime_type": ...}.

    `result`, `error`, `at` and `ok` are described in BaseCall.
    """

    @property
    def chat_id(self) -> int | str | None:
        """The chat_id parameter of the call, if any."""
        value: int | str | None = self.params.get("chat_id")
        return value


@dataclass(frozen=True)
class RateLimits:
    """Telegram-like flood limits for sending methods.

    Attributes:
        global_per_second: Sends per second for the whole bot (bucket of that capacity).
        private_per_second: Refill rate of each private chat's bucket.
        group_per_minute: Sends per minute to one group or supergroup (bucket capacity too).
        private_burst: Capacity of each private chat's bucket (Telegram tolerates short bursts).
    """

    global_per_second: float = 30.0
    private_per_second: float = 1.0
    group_per_minute: float = 20.0
    private_burst: float = 3.0


def forbidden(description: str) -> ApiError:
    """Returns a 403 error whose description is prefixed with "Forbidden: "."""
    return ApiError(403, f"Forbidden: {description}")


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart request.

    Attributes:
        field: The form field name (e.g. "document").
        filename: The client-side file name.
        content_type: The part's content type.
        data: The file's bytes.
    """

    field: str
    filename: str
    content_type: str
    data: bytes


@dataclass
class ApiRequest:
    """One request's decoded parameters and uploaded files."""

    params: JSON
    uploads: dict[str, Upload] = field(default_factory=dict)


Handler = Callable[[ApiRequest], Any]


def text_of(value: Any) -> str:
    """A parameter as a string ("" for a missing one)."""
    return "" if value is None else str(value)
