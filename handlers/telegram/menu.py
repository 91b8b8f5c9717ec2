"""The command menus, set per scope (private chats, groups, group admins) and per language.

Every private chat starts with the members' menu; a committee member's or secretary's own
chat gets theirs (BotCommandScopeChat, in their language) through the outbox when they join,
change role or choose a language (bot.services.menus, sent by handlers.telegram.sender)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from telegram import (
    BotCommand,
    BotCommandScope,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeDefault,
)
from telegram.ext import ExtBot

from bot.i18n import DEFAULT_LOCALE, LOCALES, translator
from bot.menus import GROUP, GROUP_ADMINS, Level, private_entries

PRIVATE = private_entries(Level.MEMBER)

SCOPES: list[tuple[BotCommandScope, list[tuple[str, str]]]] = [
    (BotCommandScopeDefault(), PRIVATE),
    (BotCommandScopeAllPrivateChats(), PRIVATE),
    (BotCommandScopeAllGroupChats(), GROUP),
    (BotCommandScopeAllChatAdministrators(), GROUP_ADMINS),
]


async def set_command_menus(bot: ExtBot[None]) -> None:
    """Sets every scope's menu in Vietnamese (the default) and English, all calls at once."""
    calls: list[Awaitable[bool]] = []
    for scope, entries in SCOPES:
        for locale in LOCALES:
            t = translator(locale)
            commands = [BotCommand(name, t.gettext(description)) for name, description in entries]
            language = "" if locale == DEFAULT_LOCALE else locale
            calls.append(
                bot.set_my_commands(commands, scope=scope, language_code=language or None)
            )
            if locale == DEFAULT_LOCALE:
                calls.append(bot.set_my_commands(commands, scope=scope, language_code=locale))
    await asyncio.gather(*calls)
