"""Simulated people: Zalo users (and groups) whose messages become events for the bot."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from fake_zalo.events import EventQueue
from fake_zalo.models import JSON, FakeZaloGroup, FakeZaloUser
from fake_zalo.state import ChatRef, World

DEFAULT_STICKER_URL = "https://stickers.example.org/{}.webp"


class UserSimulator:
    """The people side of the fake: every action stores an event and queues it for the bot."""

    def __init__(self, world: World, queue: EventQueue) -> None:
        """Creates the simulator.

        Args:
            world: The fake world.
            queue: The queue events go to.
        """
        self.world = world
        self.queue = queue
        self._message_listeners: list[Callable[[JSON], None]] = []

    def on_user_message(self, listener: Callable[[JSON], None]) -> None:
        """Calls `listener` with every event a simulated user causes (e.g. a live page)."""
        self._message_listeners.append(listener)

    @property
    def bot_user(self) -> FakeZaloUser:
        """The bot itself (its id is getMe's id)."""
        return self.world.bot

    # -- setup -------------------------------------------------------------------------------

    def add_user(self, display_name: str, user_id: str | None = None) -> FakeZaloUser:
        """Creates a user who has not written to the bot yet.

        Args:
            display_name: The name Zalo shows.
            user_id: A fixed id (default: 20 random hex digits).
        """
        return self.world.add_user(display_name, user_id)

    def add_group(self, name: str, group_id: str | None = None) -> FakeZaloGroup:
        """Creates a group chat the bot is in; users write there with `chat=group`."""
        return self.world.add_group(name, group_id)

    # -- actions -----------------------------------------------------------------------------

    def _post(self, user: FakeZaloUser, chat: ChatRef | None, name: str, fields: JSON) -> JSON:
        event = self.world.new_event(user, chat, name, fields)
        self.queue.push(event)
        for listener in list(self._message_listeners):
            listener(event)
        return event

    async def user_sends(
        self, user: FakeZaloUser, text: str, *, chat: ChatRef | None = None
    ) -> JSON:
        """The user sends a text (in their private chat unless `chat` is a group).

        Writing in the private chat marks the user as having interacted (and unblocks the bot).

        Returns:
            The "message.text.received" event, as queued.
        """
        if not text:
            raise ValueError("Zalo does not deliver empty messages")
        return self._post(user, chat, "text", {"text": text})

    async def user_sends_image(
        self,
        user: FakeZaloUser,
        photo_url: str,
        caption: str = "",
        *,
        chat: ChatRef | None = None,
    ) -> JSON:
        """The user sends a photo ("message.image.received" with photo_url and any caption)."""
        fields: JSON = {"photo_url": photo_url}
        if caption:
            fields["caption"] = caption
        return self._post(user, chat, "image", fields)

    async def user_sends_sticker(
        self,
        user: FakeZaloUser,
        sticker: str | None = None,
        url: str | None = None,
        *,
        chat: ChatRef | None = None,
    ) -> JSON:
        """The user sends a sticker ("message.sticker.received" with sticker id and url)."""
        sticker_id = sticker if sticker is not None else secrets.token_hex(4)
        sticker_url = url if url is not None else DEFAULT_STICKER_URL.format(sticker_id)
        return self._post(user, chat, "sticker", {"sticker": sticker_id, "url": sticker_url})

    async def user_sends_unsupported(
        self, user: FakeZaloUser, *, chat: ChatRef | None = None
    ) -> JSON:
        """The user sends something the API does not support ("message.unsupported.received")."""
        return self._post(user, chat, "unsupported", {})

    def user_blocks(self, user: FakeZaloUser) -> None:
        """The user blocks the bot: sends to them fail with 403 (no event is queued)."""
        self.world.user_state(user).blocked = True

    def user_unblocks(self, user: FakeZaloUser) -> None:
        """The user unblocks the bot (writing to it again unblocks too)."""
        self.world.user_state(user).blocked = False

    def is_blocked(self, user: FakeZaloUser) -> bool:
        """Whether the user has blocked the bot."""
        return self.world.user_state(user).blocked

    # -- events ------------------------------------------------------------------------------

    def replay_last_event(self) -> JSON:
        """Hands the last event out again, same message_id (the bot must de-duplicate).

        Replays the last event handed out by getUpdates or the webhook, else the last queued.

        Returns:
            The queued copy.
        """
        return self.queue.replay_last()

    @property
    def pending_events(self) -> list[JSON]:
        """Events queued but not handed out yet."""
        return self.queue.pending()

    def drop_pending_events(self) -> None:
        """Forgets all queued events (e.g. after setting the scene without a bot polling)."""
        self.queue.clear()

    # -- inspection --------------------------------------------------------------------------

    def sent_messages(self, chat: ChatRef) -> list[JSON]:
        """Everything the bot sent to a chat, oldest first.

        Each dict has "kind" ("text" or "photo"), "message_id", "date" and "text" or "photo"
        and "caption".
        """
        return [dict(m) for m in self.world.chat_state(chat).sent]

    def messages_to(self, chat: ChatRef) -> list[str]:
        """The texts the bot sent with sendMessage to a user (or group), oldest first."""
        return [m["text"] for m in self.world.chat_state(chat).sent if m["kind"] == "text"]

    def last_message(self, chat: ChatRef) -> str | None:
        """The last text the bot sent with sendMessage to a user (or group), or None."""
        texts = self.messages_to(chat)
        return texts[-1] if texts else None

    def sent_count(self, chat: ChatRef | None = None) -> int:
        """Successful sendMessage/sendPhoto calls, overall or to one chat."""
        if chat is not None:
            return len(self.world.chat_state(chat).sent)
        return sum(len(state.sent) for state in self.world.chats.values())
