"""Which Telegram updates reach the core: people's new messages in private chats and groups."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from telegram import Chat, Message, MessageEntity, Update, User

from handlers.telegram import PERSON_MESSAGES
from handlers.telegram.updates import incoming_of

WHEN = datetime(2026, 12, 1, tzinfo=UTC)
LAN = User(id=501, first_name="Lan", is_bot=False)
COMMAND = [MessageEntity(type=MessageEntity.BOT_COMMAND, offset=0, length=8)]


def _message(chat_type: str, chat_id: int = -100_123) -> Message:
    chat = Chat(id=chat_id if chat_type != "private" else LAN.id, type=chat_type, title="Kênh")
    return Message(
        message_id=7, date=WHEN, chat=chat, from_user=LAN, text="/lichhop", entities=COMMAND
    )


@pytest.mark.parametrize("chat_type", ["private", "group", "supergroup"])
def test_commands_of_people_in_chats_and_groups_are_heard(chat_type: str) -> None:
    update = Update(update_id=1, message=_message(chat_type))
    incoming = incoming_of(update, bot_username="chibot_test_bot")
    assert incoming is not None
    assert incoming.command == "lichhop"
    assert PERSON_MESSAGES.check_update(update)


def test_a_command_in_a_channel_is_ignored() -> None:
    update = Update(update_id=2, message=_message("channel"))
    assert incoming_of(update, bot_username="chibot_test_bot") is None
    assert not PERSON_MESSAGES.check_update(update)


def test_a_channel_post_is_ignored() -> None:
    update = Update(update_id=3, channel_post=_message("channel"))
    assert incoming_of(update, bot_username="chibot_test_bot") is None
    assert not PERSON_MESSAGES.check_update(update)


def test_an_edited_command_is_not_a_second_command() -> None:
    update = Update(update_id=4, edited_message=_message("private"))
    assert not PERSON_MESSAGES.check_update(update)
