"""The fake Telegram world: users, chats, memberships, messages, files and callback queries."""

from __future__ import annotations

import itertools
import mimetypes
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from fake_telegram.models import JSON, ApiError, FakeChat, FakeUser, bad_request, forbidden

CREATOR = "creator"
ADMINISTRATOR = "administrator"
MEMBER = "member"
LEFT = "left"
KICKED = "kicked"
ADMIN_STATUSES = (CREATOR, ADMINISTRATOR)


@dataclass
class UserState:
    """What the server knows about a user's relation to the bot."""

    user: FakeUser
    started: bool = False
    blocked: bool = False


@dataclass
class ChatState:
    """One chat: its members (groups), its messages (by id) and counters."""

    chat: FakeChat
    members: dict[int, str] = field(default_factory=dict)
    messages: dict[int, JSON] = field(default_factory=dict)
    next_message_id: int = 1
    migrated_to: int | None = None
    sent: int = 0

    def status_of(self, user_id: int) -> str:
        """The member status of a user in this chat ("left" if not a member)."""
        return self.members.get(user_id, LEFT)


@dataclass
class StoredFile:
    """A file the server holds (uploaded by the bot or sent by a user)."""

    file_id: str
    file_unique_id: str
    data: bytes
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None
    width: int = 0
    height: int = 0


@dataclass
class CallbackState:
    """A callback query sent to the bot and how it was answered."""

    id: str
    user_id: int
    data: str | None
    answered: bool = False
    answer: JSON | None = None


def public(message: JSON) -> JSON:
    """A copy of a stored message without the fake's private `_…` keys."""
    return {k: v for k, v in message.items() if not k.startswith("_")}


def image_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG, GIF or JPEG image; (512, 512) if not recognised."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return int.from_bytes(data[6:8], "little"), int.from_bytes(data[8:10], "little")
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            length = int.from_bytes(data[i + 2 : i + 4], "big")
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height = int.from_bytes(data[i + 5 : i + 7], "big")
                width = int.from_bytes(data[i + 7 : i + 9], "big")
                return width, height
            i += 2 + length
    return 512, 512


class World:
    """All chats, users and files of the fake server; every mutation here is synchronous."""

    def __init__(self, bot: FakeUser) -> None:
        """Creates an empty world around the bot user.

        Args:
            bot: The bot's own user.
        """
        self.bot = bot
        self.users: dict[int, UserState] = {}
        self.chats: dict[int, ChatState] = {}
        self.files: dict[str, StoredFile] = {}
        self.files_by_path: dict[str, StoredFile] = {}
        self.callbacks: dict[str, CallbackState] = {}
        self._user_ids = itertools.count(1_000_000_001)
        self._group_ids = itertools.count(4_100_000_001)
        self._supergroup_ids = itertools.count(1_002_100_000_001)
        self._file_numbers = itertools.count(1)
        self._callback_ids = itertools.count(4_000_000_000_000_001)

    # -- users and chats -------------------------------------------------------------------

    def add_user(
        self,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
        user_id: int | None = None,
    ) -> FakeUser:
        """Creates a user and their (not yet started) private chat with the bot."""
        uid = user_id if user_id is not None else next(self._user_ids)
        if uid in self.users or uid == self.bot.id:
            raise ValueError(f"user id {uid} is already taken")
        user = FakeUser(uid, first_name, last_name, username, language_code)
        self.users[uid] = UserState(user)
        chat = FakeChat(uid, "private", None, first_name, last_name, username)
        self.chats[uid] = ChatState(chat)
        return user

    def add_group(
        self,
        title: str,
        members: list[FakeUser],
        admins: list[FakeUser],
        creator: FakeUser | None,
        supergroup: bool,
        bot_is_admin: bool,
    ) -> FakeChat:
        """Creates a group (or supergroup) the bot is in."""
        chat_id = -next(self._supergroup_ids) if supergroup else -next(self._group_ids)
        chat = FakeChat(chat_id, "supergroup" if supergroup else "group", title)
        state = ChatState(chat)
        for user in members:
            self.user_state(user)
            state.members[user.id] = MEMBER
        for user in admins:
            self.user_state(user)
            state.members[user.id] = ADMINISTRATOR
        if creator is not None:
            self.user_state(creator)
            state.members[creator.id] = CREATOR
        state.members[self.bot.id] = ADMINISTRATOR if bot_is_admin else MEMBER
        self.chats[chat_id] = state
        return chat

    def migrate(self, old: ChatState) -> ChatState:
        """Creates the supergroup a basic group is upgraded to and marks the group as moved."""
        chat_id = -next(self._supergroup_ids)
        new = ChatState(FakeChat(chat_id, "supergroup", old.chat.title), dict(old.members))
        old.migrated_to = chat_id
        self.chats[chat_id] = new
        return new

    def user_state(self, user: FakeUser | int) -> UserState:
        """The state of a known user; raises LookupError for users not made by add_user."""
        uid = user if isinstance(user, int) else user.id
        state = self.users.get(uid)
        if state is None:
            raise LookupError(f"unknown user {uid}; create users with add_user()")
        return state

    def find_user(self, user_id: Any) -> FakeUser:
        """Resolves a user_id parameter (the bot included), else 400 "user not found"."""
        if user_id == self.bot.id:
            return self.bot
        known = self.users.get(user_id) if isinstance(user_id, int) else None
        if known is None:
            raise bad_request("user not found")
        return known.user

    def chat_state(self, chat: FakeChat | FakeUser | int) -> ChatState:
        """The state of a known chat (a FakeUser means their private chat)."""
        chat_id = chat if isinstance(chat, int) else chat.id
        state = self.chats.get(chat_id)
        if state is None:
            raise LookupError(f"unknown chat {chat_id}")
        return state

    # -- resolution for Bot API methods ----------------------------------------------------

    def find_chat(self, chat_id: Any, *, follow_migration: bool = False) -> ChatState:
        """Resolves a chat_id parameter, raising Telegram's errors for unknown or moved chats."""
        if chat_id is None or chat_id == "":
            raise bad_request("chat_id is empty")
        state = self.chats.get(chat_id) if isinstance(chat_id, int) else None
        if state is None and isinstance(chat_id, str) and chat_id.startswith("@"):
            name = chat_id[1:].lower()
            state = next(
                (s for s in self.chats.values() if (s.chat.username or "").lower() == name), None
            )
        if state is None:
            raise bad_request("chat not found")
        if state.chat.type == "private" and not self.users[state.chat.id].started:
            # Telegram does not reveal users who never talked to the bot.
            raise bad_request("chat not found")
        if state.migrated_to is not None and not follow_migration:
            raise bad_request(
                "group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": state.migrated_to},
            )
        return state

    def find_chat_for_sending(self, chat_id: Any) -> ChatState:
        """Like find_chat, but lets never-started private chats through to `check_can_send`."""
        if isinstance(chat_id, int) and chat_id in self.users:
            return self.chats[chat_id]
        return self.find_chat(chat_id)

    def check_can_send(self, state: ChatState) -> None:
        """Raises the 403 Telegram gives when the bot may not write to this chat."""
        chat = state.chat
        if chat.type == "private":
            user = self.users[chat.id]
            if user.blocked:
                raise forbidden("bot was blocked by the user")
            if not user.started:
                raise forbidden("bot can't initiate conversation with a user")
            return
        status = state.status_of(self.bot.id)
        if status == KICKED:
            raise forbidden(f"bot was kicked from the {chat.type} chat")
        if status == LEFT:
            raise forbidden(f"bot is not a member of the {chat.type} chat")

    def find_message(self, state: ChatState, message_id: Any, missing: str) -> JSON:
        """The stored message `message_id` of a chat, or a 400 with `missing` as description."""
        if not isinstance(message_id, int):
            raise bad_request("message identifier is not specified")
        message = state.messages.get(message_id)
        if message is None:
            raise bad_request(missing)
        return message

    # -- messages ----------------------------------------------------------------------------

    def new_message(self, state: ChatState, sender: FakeUser, fields: JSON) -> JSON:
        """Stores a new message in a chat and returns it (the stored dict itself)."""
        message_id = state.next_message_id
        state.next_message_id += 1
        message: JSON = {
            "message_id": message_id,
            "from": sender.to_dict(),
            "chat": state.chat.to_dict(),
            "date": int(time.time()),
        }
        message.update(fields)
        state.messages[message_id] = message
        return message

    def bot_messages(self, state: ChatState) -> list[JSON]:
        """The messages the bot sent to a chat that still exist, oldest first."""
        bot_id = self.bot.id
        return [m for m in state.messages.values() if m["from"]["id"] == bot_id]

    # -- files -------------------------------------------------------------------------------

    def store_file(
        self, data: bytes, kind: str, file_name: str | None, mime_type: str | None
    ) -> StoredFile:
        """Stores bytes as a new file ("documents" or "photos") and returns its record."""
        number = next(self._file_numbers)
        if mime_type is None and file_name:
            mime_type = mimetypes.guess_type(file_name)[0]
        if kind == "photos":
            prefix, ext = "AgACAgUAAxkBAAI", ".jpg"
            width, height = image_size(data)
        else:
            prefix = "BQACAgUAAxkBAAI"
            ext = ""
            if file_name and "." in file_name:
                ext = "." + file_name.rsplit(".", 1)[1][:10]
            width = height = 0
        stored = StoredFile(
            file_id=f"{prefix}{number}{secrets.token_urlsafe(24)}",
            file_unique_id=f"AgAD{number}{secrets.token_urlsafe(6)}",
            data=data,
            file_path=f"{kind}/file_{number}{ext}",
            file_name=file_name,
            mime_type=mime_type,
            width=width,
            height=height,
        )
        self.files[stored.file_id] = stored
        self.files_by_path[stored.file_path] = stored
        return stored

    @staticmethod
    def document_dict(stored: StoredFile) -> JSON:
        """The Bot API `Document` object of a stored file."""
        data: JSON = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
        }
        if stored.file_name:
            data["file_name"] = stored.file_name
        if stored.mime_type:
            data["mime_type"] = stored.mime_type
        return data

    @staticmethod
    def photo_sizes(stored: StoredFile) -> list[JSON]:
        """The Bot API `PhotoSize` list of a stored photo (one size: the original)."""
        return [
            {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_size": len(stored.data),
                "width": stored.width,
                "height": stored.height,
            }
        ]

    # -- callback queries --------------------------------------------------------------------

    def new_callback(self, user: FakeUser, data: str | None) -> CallbackState:
        """Registers a callback query and returns it."""
        callback = CallbackState(str(next(self._callback_ids)), user.id, data)
        self.callbacks[callback.id] = callback
        return callback

    @staticmethod
    def chat_instance(chat_id: int) -> str:
        """A stable opaque `chat_instance` for a chat, like Telegram's."""
        return str((chat_id * 2_654_435_761) % (2**63))


def ensure(condition: bool, error: ApiError) -> None:
    """Raises `error` unless `condition` holds."""
    if not condition:
        raise error
