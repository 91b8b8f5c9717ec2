"""The command menu, set per scope (private chats, groups, group admins) and per language."""

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

from bot.i18n import DEFAULT_LOCALE, LOCALES, N_, translator

PRIVATE = [
    ("start", N_("Start / join a cell with an invite")),
    ("trogiup", N_("What I can do for you")),
    ("lichhop", N_("Upcoming meetings")),
    ("camket", N_("My commitment: write, submit, view")),
    ("tiendo", N_("Report progress on my commitment")),
    ("duyet", N_("Review commitments (cell committee)")),
    ("taohop", N_("Schedule a meeting (cell committee)")),
    ("diemdanh", N_("Roll call (cell committee)")),
    ("thongbao", N_("Announcements (cell committee)")),
    ("dangvien", N_("Roster (cell committee)")),
    ("tonghop", N_("The cell's digest now (cell committee)")),
    ("baocao", N_("Report for a period (cell committee)")),
    ("caidat", N_("Cell settings (secretary)")),
    ("moi", N_("Invite members (secretary)")),
    ("ngonngu", N_("Language: Tiếng Việt / English")),
    ("huy", N_("Leave the current form")),
]
GROUP = [
    ("trogiup", N_("What I can do in this group")),
    ("camket", N_("How many have registered their commitments")),
    ("tonghop", N_("Post the cell's digest (cell committee)")),
    ("ngonngu", N_("Language: Tiếng Việt / English")),
]
GROUP_ADMINS = [
    ("thietlap", N_("Link this group to its cell (with a setup code)")),
    *GROUP,
]

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
