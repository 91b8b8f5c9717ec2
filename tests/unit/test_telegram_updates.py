"""Telegram taps → the core's events: every callback query becomes a choice, whatever it
carries, so the core answers it (issue 13)."""

from __future__ import annotations

from typing import Any

import pytest
from telegram import Update

from bot.actions.core import IncomingKind
from handlers.telegram.updates import incoming_of

LAN = {"id": 7, "is_bot": False, "first_name": "Lan"}
CHAT = {"id": 7, "type": "private", "first_name": "Lan"}


def _tap(**query: Any) -> Update:
    payload = {"id": "9", "from": LAN, "chat_instance": "1", **query}
    return Update.de_json({"update_id": 5, "callback_query": payload}, None)


@pytest.mark.parametrize(
    "query",
    [
        {"data": "x" * 300, "message": {"message_id": 3, "date": 0, "chat": CHAT}},
        {"data": "", "message": {"message_id": 3, "date": 0, "chat": CHAT}},
        {"game_short_name": "g", "message": {"message_id": 3, "date": 0, "chat": CHAT}},
        {"data": "rc|1", "inline_message_id": "abc"},  # no chat at all
    ],
)
def test_every_tap_is_a_choice_for_the_core(query: dict[str, Any]) -> None:
    incoming = incoming_of(_tap(**query), bot_username="chibot_test_bot")
    assert incoming is not None
    assert incoming.kind == IncomingKind.CHOICE
    assert incoming.choice == query.get("data", "")
    assert (incoming.chat_id, incoming.in_group) == ("7", False)
