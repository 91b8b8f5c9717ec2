"""Simulated people: users and groups that send messages and tap buttons (queuing updates)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from fake_telegram.markup import bot_command_entities
from fake_telegram.models import JSON, FakeChat, FakeUser
from fake_telegram.state import (
    ADMIN_STATUSES,
    ADMINISTRATOR,
    CREATOR,
    KICKED,
    LEFT,
    MEMBER,
    ChatState,
    World,
    public,
)
from fake_telegram.updates import UpdateQueue

ChatRef = FakeChat | FakeUser | int


class UserSimulator:
    """The people side of the fake: every action stores messages and queues an update."""

    def __init__(self, bot: FakeUser) -> None:
        """Creates an empty world for the bot.

        Args:
            bot: The bot's own user.
        """
        self.world = World(bot)
        self.queue = UpdateQueue()
        self._message_listeners: list[Callable[[JSON], None]] = []

    def on_user_message(self, listener: Callable[[JSON], None]) -> None:
        """Calls `listener` with every message a simulated user sends (e.g. a live page)."""
        self._message_listeners.append(listener)

    @property
    def bot_user(self) -> FakeUser:
        """The bot itself as a FakeUser (e.g. for `set_admin(group, api.bot_user, True)`)."""
        return self.world.bot

    # -- setup -------------------------------------------------------------------------------

    def add_user(
        self,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
        *,
        user_id: int | None = None,
        started: bool = False,
    ) -> FakeUser:
        """Creates a user (who has not started the bot yet, unless `started`).

        Args:
            first_name: The first name.
            last_name: The last name.
            username: The @username without "@".
            language_code: The client language, e.g. "vi".
            user_id: A fixed id (default: the next free one, from 1000000001 up).
            started: Whether they already pressed Start (the bot may write to them).
        """
        user = self.world.add_user(first_name, last_name, username, language_code, user_id)
        self.world.user_state(user).started = started
        return user

    def add_group(
        self,
        title: str,
        members: list[FakeUser] | None = None,
        admins: list[FakeUser] | None = None,
        *,
        creator: FakeUser | None = None,
        supergroup: bool = False,
        bot_is_admin: bool = False,
    ) -> FakeChat:
        """Creates a group the bot is a member of (no update is queued).

        Args:
            title: The group title.
            members: Ordinary members.
            admins: Administrators (they are members too).
            creator: The owner (status "creator"), if any.
            supergroup: Make a supergroup (id -100…) instead of a basic group.
            bot_is_admin: Whether the bot is an administrator there.
        """
        return self.world.add_group(
            title, list(members or []), list(admins or []), creator, supergroup, bot_is_admin
        )

    def private_chat(self, user: FakeUser) -> FakeChat:
        """The user's private chat with the bot (its id is the user's id)."""
        return self.world.chat_state(user.id).chat

    def _chat_for(self, user: FakeUser, chat: ChatRef | None) -> ChatState:
        self.world.user_state(user)
        state = self.world.chat_state(user.id if chat is None else chat)
        if state.chat.type == "private":
            if state.chat.id != user.id:
                raise ValueError(f"{user.full_name} cannot act in another user's private chat")
            return state
        if state.migrated_to is not None:
            raise ValueError(
                f"chat {state.chat.id} was upgraded to supergroup {state.migrated_to}; "
                "use the FakeChat that migrate_group() returned"
            )
        if state.status_of(user.id) in (LEFT, KICKED):
            raise ValueError(f"{user.full_name} is not a member of {state.chat.title!r}")
        return state

    def _post(self, user: FakeUser, chat: ChatRef | None, fields: JSON) -> JSON:
        state = self._chat_for(user, chat)
        if state.chat.type == "private":
            user_state = self.world.user_state(user)
            if user_state.blocked:
                self.user_unblocks(user)
            user_state.started = True
        message = public(self.world.new_message(state, user, fields))
        self.queue.push("message", message)
        for listener in list(self._message_listeners):
            listener(message)
        return message

    # -- actions -----------------------------------------------------------------------------

    async def user_sends(
        self,
        user: FakeUser,
        text: str,
        chat: ChatRef | None = None,
        *,
        reply_to: JSON | None = None,
    ) -> JSON:
        """The user sends a text message (in their private chat unless `chat` is given).

        Leading and embedded "/command" and "/command@bot" words get bot_command entities.
        Writing in the private chat marks the user as having started the bot (and unblocks).

        Returns:
            The message dict, as queued in the update.
        """
        if not text:
            raise ValueError("Telegram does not deliver empty messages")
        fields: JSON = {"text": text}
        entities = bot_command_entities(text)
        if entities:
            fields["entities"] = entities
        if reply_to is not None:
            fields["reply_to_message"] = self._reply_copy(reply_to)
        return self._post(user, chat, fields)

    def _reply_copy(self, message: JSON) -> JSON:
        state = self.world.chats.get(message["chat"]["id"])
        current = state.messages.get(message["message_id"]) if state else None
        reply = public(current if current is not None else message)
        reply.pop("reply_to_message", None)
        return reply

    async def user_sends_document(
        self,
        user: FakeUser,
        file_name: str,
        data: bytes,
        mime_type: str | None = None,
        chat: ChatRef | None = None,
        caption: str | None = None,
    ) -> JSON:
        """The user sends a file; the bot can getFile and download the same bytes."""
        stored = self.world.store_file(data, "documents", file_name, mime_type)
        fields: JSON = {"document": World.document_dict(stored)}
        if caption:
            fields["caption"] = caption
        return self._post(user, chat, fields)

    async def user_sends_photo(
        self,
        user: FakeUser,
        data: bytes,
        chat: ChatRef | None = None,
        caption: str | None = None,
    ) -> JSON:
        """The user sends a photo (one PhotoSize: the original bytes)."""
        stored = self.world.store_file(data, "photos", None, "image/jpeg")
        fields: JSON = {"photo": World.photo_sizes(stored)}
        if caption:
            fields["caption"] = caption
        return self._post(user, chat, fields)

    async def user_taps(
        self,
        user: FakeUser,
        message: JSON,
        button: str | None = None,
        *,
        data: str | None = None,
    ) -> str:
        """The user taps an inline button under a message the bot sent.

        Args:
            user: Who taps.
            message: The bot's message (a dict from `next_call(...).result`, `messages_in` …);
                its current state (after edits) is looked up by chat and message_id.
            button: The button's exact callback_data, or else its exact visible text.
            data: Raw callback data to send instead, without looking for a button (e.g. to
                tap a button that is gone).

        Returns:
            The callback query id.

        Raises:
            LookupError: No such button (or the message no longer exists).
        """
        if (button is None) == (data is None):
            raise TypeError("pass exactly one of `button` or `data=`")
        chat_id = message["chat"]["id"]
        state = self._chat_for(user, chat_id)
        current = state.messages.get(message["message_id"])
        if data is None:
            if current is None:
                raise LookupError(f"message {message['message_id']} in chat {chat_id} is gone")
            data = self._find_button(current, str(button))
        shown = public(current) if current is not None else public(message)
        callback = self.world.new_callback(user, data)
        payload: JSON = {
            "id": callback.id,
            "from": user.to_dict(),
            "message": shown,
            "chat_instance": World.chat_instance(chat_id),
            "data": data,
        }
        self.queue.push("callback_query", payload)
        return callback.id

    @staticmethod
    def _find_button(message: JSON, wanted: str) -> str:
        rows: list[list[Any]] = (message.get("reply_markup") or {}).get("inline_keyboard", [])
        buttons = [b for row in rows for b in row if isinstance(b, dict)]
        for button in buttons:
            if button.get("callback_data") == wanted:
                return str(wanted)
        for button in buttons:
            if button.get("text") == wanted:
                if "callback_data" not in button:
                    raise LookupError(f"button {wanted!r} has no callback_data: {button}")
                return str(button["callback_data"])
        shown = [(b.get("text"), b.get("callback_data")) for b in buttons]
        raise LookupError(
            f"no button with callback_data or text {wanted!r} under message "
            f"{message['message_id']}; buttons (text, data): {shown}"
        )

    def callback_answer(self, callback_query_id: str) -> JSON | None:
        """How the bot answered a callback query (text, show_alert, url, cache_time), if it did."""
        callback = self.world.callbacks.get(callback_query_id)
        return dict(callback.answer) if callback and callback.answer is not None else None

    def _my_chat_member(self, user: FakeUser, old: str, new: str) -> None:
        bot = self.world.bot.to_dict()

        def member(status: str) -> JSON:
            # Telegram always sends until_date for a "kicked" member (0 = forever).
            entry: JSON = {"status": status, "user": bot}
            if status == KICKED:
                entry["until_date"] = 0
            return entry

        payload: JSON = {
            "chat": self.world.chat_state(user.id).chat.to_dict(),
            "from": user.to_dict(),
            "date": int(time.time()),
            "old_chat_member": member(old),
            "new_chat_member": member(new),
        }
        self.queue.push("my_chat_member", payload)

    def user_blocks(self, user: FakeUser) -> None:
        """The user blocks the bot: sends to them get 403; a my_chat_member update is queued."""
        state = self.world.user_state(user)
        if not state.blocked:
            state.blocked = True
            self._my_chat_member(user, MEMBER, KICKED)

    def user_unblocks(self, user: FakeUser) -> None:
        """The user unblocks the bot (a my_chat_member update is queued)."""
        state = self.world.user_state(user)
        if state.blocked:
            state.blocked = False
            self._my_chat_member(user, KICKED, MEMBER)

    # -- groups ------------------------------------------------------------------------------

    async def migrate_group(self, group: FakeChat) -> FakeChat:
        """Upgrades a basic group to a supergroup with a new id.

        Queues a message in the old chat with migrate_to_chat_id and one in the new chat with
        migrate_from_chat_id; later requests to the old id get 400 "Bad Request: group chat
        was upgraded to a supergroup chat" with parameters.migrate_to_chat_id.

        Returns:
            The new supergroup.
        """
        old = self.world.chat_state(group)
        if old.chat.type != "group" or old.migrated_to is not None:
            raise ValueError(f"chat {group.id} is not a basic group that can be upgraded")
        new = self.world.migrate(old)
        actor = next(
            (uid for uid, s in old.members.items() if s == CREATOR),
            next((uid for uid, s in old.members.items() if s in ADMIN_STATUSES), None),
        )
        who = self.world.users[actor].user if actor in self.world.users else self.world.bot
        to_old = self.world.new_message(old, who, {"migrate_to_chat_id": new.chat.id})
        self.queue.push("message", public(to_old))
        to_new = self.world.new_message(new, who, {"migrate_from_chat_id": old.chat.id})
        self.queue.push("message", public(to_new))
        return new.chat

    def set_admin(self, group: FakeChat, user: FakeUser, is_admin: bool = True) -> None:
        """Promotes (adding to the group if needed) or demotes a user or the bot."""
        state = self.world.chat_state(group)
        status = state.status_of(user.id)
        if is_admin and status not in ADMIN_STATUSES:
            state.members[user.id] = ADMINISTRATOR
        elif not is_admin and status in ADMIN_STATUSES:
            state.members[user.id] = MEMBER

    def add_to_group(self, group: FakeChat, user: FakeUser, *, announce: bool = True) -> None:
        """Adds a user as a member; with `announce`, queues a new_chat_members message."""
        state = self.world.chat_state(group)
        self.world.user_state(user)
        if state.status_of(user.id) in (LEFT, KICKED):
            state.members[user.id] = MEMBER
            if announce:
                fields: JSON = {"new_chat_members": [user.to_dict()]}
                message = self.world.new_message(state, user, fields)
                self.queue.push("message", public(message))

    def remove_from_group(self, group: FakeChat, user: FakeUser, *, announce: bool = True) -> None:
        """Removes a user (or the bot: it gets "kicked"); queues a left_chat_member message."""
        state = self.world.chat_state(group)
        if user.id == self.world.bot.id:
            state.members[user.id] = KICKED
            return
        if state.members.pop(user.id, None) is not None and announce:
            fields: JSON = {"left_chat_member": user.to_dict()}
            message = self.world.new_message(state, user, fields)
            self.queue.push("message", public(message))

    # -- inspection --------------------------------------------------------------------------

    def messages_in(self, chat: ChatRef) -> list[JSON]:
        """The bot's messages in a chat as they are now (edited, deleted ones removed).

        Each dict also has private keys: `_html` (the text/caption as the bot sent it, with
        markup), `_parse_mode`, and `_reply_markup` for non-inline keyboards.
        """
        return [dict(m) for m in self.world.bot_messages(self.world.chat_state(chat))]

    def last_message(self, chat: ChatRef) -> JSON | None:
        """The bot's last existing message in a chat, or None."""
        messages = self.world.bot_messages(self.world.chat_state(chat))
        return dict(messages[-1]) if messages else None

    def file_bytes(self, file_id: str) -> bytes:
        """The bytes of a stored file (sent by the bot or by a user)."""
        return self.world.files[file_id].data

    @property
    def pending_updates(self) -> list[JSON]:
        """Updates queued but not yet confirmed by the bot."""
        return self.queue.pending()

    def drop_pending_updates(self) -> None:
        """Forgets all queued updates (e.g. after setting the scene without a bot polling)."""
        self.queue.clear()
