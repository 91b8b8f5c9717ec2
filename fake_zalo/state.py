"""The fake Zalo world: users, groups, their chats with the bot and the bot's sent messages."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field

from fake_zalo.models import (
    BLOCKED,
    GROUP,
    JSON,
    NOT_INTERACTED,
    PRIVATE,
    ApiError,
    FakeZaloGroup,
    FakeZaloUser,
    bad_request,
)

ChatRef = FakeZaloUser | FakeZaloGroup | str


def now_ms() -> int:
    """The current time in milliseconds since the epoch, as Zalo stamps messages."""
    return time.time_ns() // 1_000_000


def new_message_id() -> str:
    """A fresh message id: 32 hex digits."""
    return secrets.token_hex(16)


@dataclass
class UserState:
    """What the server knows about a user's relation to the bot."""

    user: FakeZaloUser
    interacted: bool = False
    blocked: bool = False


@dataclass
class ChatState:
    """One chat with the bot: a user's private chat or a group.

    Attributes:
        id: The chat id (a private chat's id is its user's id).
        chat_type: "PRIVATE" or "GROUP".
        sent: The bot's messages in this chat, oldest first (dicts with "kind", "message_id",
            "date" and "text" or "photo"/"caption").
        events: The events users sent in this chat, oldest first.
    """

    id: str
    chat_type: str
    sent: list[JSON] = field(default_factory=list)
    events: list[JSON] = field(default_factory=list)

    def to_dict(self) -> JSON:
        """Returns the `chat` object of an event in this chat."""
        return {"id": self.id, "chat_type": self.chat_type}


class World:
    """All users and chats of the fake server; every mutation here is synchronous."""

    def __init__(self, bot: FakeZaloUser, account_name: str) -> None:
        """Creates an empty world around the bot.

        Args:
            bot: The bot's own user (its id is getMe's id).
            account_name: getMe's account_name.
        """
        self.bot = bot
        self.account_name = account_name
        self.users: dict[str, UserState] = {}
        self.groups: dict[str, FakeZaloGroup] = {}
        self.chats: dict[str, ChatState] = {}

    def _fresh_id(self) -> str:
        while True:
            candidate = secrets.token_hex(10)
            if candidate not in self.chats and candidate != self.bot.id:
                return candidate

    def add_user(self, display_name: str, user_id: str | None = None) -> FakeZaloUser:
        """Creates a user and their private chat (they have not written to the bot yet)."""
        uid = self._fresh_id() if user_id is None else str(user_id)
        if not uid or uid in self.chats or uid == self.bot.id:
            raise ValueError(f"user id {uid!r} is empty or already taken")
        user = FakeZaloUser(uid, display_name)
        self.users[uid] = UserState(user)
        self.chats[uid] = ChatState(uid, PRIVATE)
        return user

    def add_group(self, name: str, group_id: str | None = None) -> FakeZaloGroup:
        """Creates a group chat the bot is in."""
        gid = self._fresh_id() if group_id is None else str(group_id)
        if not gid or gid in self.chats or gid == self.bot.id:
            raise ValueError(f"group id {gid!r} is empty or already taken")
        group = FakeZaloGroup(gid, name)
        self.groups[gid] = group
        self.chats[gid] = ChatState(gid, GROUP)
        return group

    def user_state(self, user: FakeZaloUser | str) -> UserState:
        """The state of a user made by add_user; LookupError for anyone else."""
        uid = user if isinstance(user, str) else user.id
        state = self.users.get(uid)
        if state is None:
            raise LookupError(f"unknown user {uid!r}; create users with add_user()")
        return state

    def chat_state(self, chat: ChatRef) -> ChatState:
        """The state of a known chat (a FakeZaloUser means their private chat)."""
        chat_id = chat if isinstance(chat, str) else chat.id
        state = self.chats.get(chat_id)
        if state is None:
            raise LookupError(f"unknown chat {chat_id!r}")
        return state

    # -- events ------------------------------------------------------------------------------

    def new_event(self, user: FakeZaloUser, chat: ChatRef | None, name: str, fields: JSON) -> JSON:
        """Builds and stores the event of a user's message (in their private chat by default).

        Writing in the private chat marks the user as having interacted (and unblocks).
        """
        state = self.user_state(user)
        chat_state = self.chat_state(user if chat is None else chat)
        if chat_state.chat_type == PRIVATE:
            if chat_state.id != user.id:
                raise ValueError(f"{user.display_name} cannot write in another user's chat")
            state.interacted = True
            state.blocked = False
        message: JSON = {
            "from": user.to_dict(),
            "chat": chat_state.to_dict(),
            "message_id": new_message_id(),
            "date": now_ms(),
        }
        message.update(fields)
        event: JSON = {"event_name": f"message.{name}.received", "message": message}
        chat_state.events.append(event)
        return event

    # -- the bot's side ----------------------------------------------------------------------

    def find_target(self, chat_id: object) -> ChatState:
        """Resolves a send's chat_id, raising the API's errors for chats it may not write to.

        Raises:
            ApiError: 400 when chat_id is missing; 403 (see NOT_INTERACTED and BLOCKED) for
                unknown users, users who never wrote to the bot and users who blocked it.
        """
        if chat_id is None or chat_id == "":
            raise bad_request("chat_id is required")
        state = self.chats.get(str(chat_id))
        if state is None:
            raise ApiError(*NOT_INTERACTED)
        if state.chat_type == PRIVATE:
            user = self.users[state.id]
            if user.blocked:
                raise ApiError(*BLOCKED)
            if not user.interacted:
                raise ApiError(*NOT_INTERACTED)
        return state

    @staticmethod
    def store_sent(state: ChatState, fields: JSON) -> JSON:
        """Stores a message the bot sent and returns the API result for it."""
        result: JSON = {"message_id": new_message_id(), "date": now_ms()}
        state.sent.append({**fields, **result})
        return result
