"""Telegram updates → the core's Incoming events (and nothing else)."""

from __future__ import annotations

from dataclasses import replace

from telegram import Update

from bot.actions.core import Incoming, IncomingKind
from bot.services.documents import IncomingFile

CHANNEL = "telegram"
# Where people talk to the bot; a channel's posts (and any other kind of chat) are ignored.
PEOPLE_CHATS = frozenset({"private", "group", "supergroup"})


def command_of(text: str, bot_username: str) -> tuple[str, tuple[str, ...]] | None:
    """Returns the command name and its words; None for a command addressed to another bot."""
    words = text.split()
    if not words or not words[0].startswith("/"):
        return None
    head, *words = words
    name, _, addressee = head[1:].partition("@")
    if addressee and addressee.casefold() != bot_username.casefold():
        return None
    return name.casefold(), tuple(words)


def incoming_of(
    update: Update, *, bot_username: str, is_group_admin: bool = False
) -> Incoming | None:
    """Returns what the person did, or None for an update the core does not act on."""
    user = update.effective_user
    chat = update.effective_chat
    query = update.callback_query
    if user is None or user.is_bot or (chat is None and query is None):
        return None
    if chat is not None and chat.type not in PEOPLE_CHATS:
        return None
    base = Incoming(
        channel=CHANNEL,
        update_id=str(update.update_id),
        kind=IncomingKind.OTHER,
        # A tap on a message without a chat (an inline message) is answered in private.
        chat_id=str(chat.id) if chat is not None else str(user.id),
        user_id=str(user.id),
        display_name=user.full_name,
        in_group=chat is not None and chat.type in {"group", "supergroup"},
        username=user.username,
        language_code=user.language_code,
        chat_title=(chat.title or "") if chat is not None else "",
        is_group_admin=is_group_admin,
    )
    if query is not None:
        message_id = str(query.message.message_id) if query.message is not None else None
        return replace(
            base, kind=IncomingKind.CHOICE, choice=query.data or "", message_id=message_id
        )
    message = update.effective_message
    if message is None:
        return None
    if message.text is not None and message.text.startswith("/"):
        parsed = command_of(message.text, bot_username)
        if parsed is None:
            return None
        name, args = parsed
        return replace(base, kind=IncomingKind.COMMAND, command=name, args=args)
    if message.text is not None:
        return replace(base, kind=IncomingKind.TEXT, text=message.text)
    if message.document is not None:
        doc = message.document
        found = IncomingFile(
            doc.file_id,
            doc.file_name or "tai-lieu",
            doc.mime_type,
            doc.file_size or 0,
            caption=message.caption or "",
        )
        return replace(base, kind=IncomingKind.FILE, file=found)
    if message.photo:
        photo = message.photo[-1]
        found = IncomingFile(
            photo.file_id,
            "anh.jpg",
            "image/jpeg",
            photo.file_size or 0,
            caption=message.caption or "",
        )
        return replace(base, kind=IncomingKind.FILE, file=found)
    return None
