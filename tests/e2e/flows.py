"""Steps a secretary or member takes in the chat, shared by e2e tests."""

from __future__ import annotations

import re
from typing import Any

from fake_telegram import FakeChat, FakeUser
from tests.e2e.conftest import Bot

LINK = re.compile(r"https://t\.me/chibot_test_bot\?start=([\w-]+)")


async def linked_cell(bot: Bot, name: str = "Chi bộ Văn phòng") -> tuple[FakeUser, FakeChat]:
    """Creates a cell, links its group; returns the secretary and the group."""
    secretary = bot.api.add_user("Nguyễn Văn Bình")
    group = bot.api.add_group(name, members=[secretary], admins=[secretary])
    code = bot.new_cell(name)
    await bot.say(secretary, f"/thietlap {code}", chat=group)
    return secretary, group


async def add_people(
    bot: Bot,
    secretary: FakeUser,
    names: list[str],
    role: str = "Đảng viên",
    status: str = "chính thức",
) -> dict[str, str]:
    """Runs /moi → add people; returns the personal token of each name."""
    done = await invite_screen(bot, secretary, names, role, status)
    tokens = LINK.findall(done["text"])
    assert len(tokens) == len(names), done["text"]
    return dict(zip(names, tokens, strict=True))


async def invite_screen(
    bot: Bot, secretary: FakeUser, names: list[str], role: str, status: str
) -> dict[str, Any]:
    """Runs /moi → add people on Telegram; returns the final screen with the invites."""
    menu = await bot.say(secretary, "/moi")
    await bot.tap_edit(secretary, menu, "➕ Thêm người và tạo link mời riêng")
    role_prompt = await bot.say(secretary, "\n".join(names))
    status_prompt = await bot.tap_edit(secretary, role_prompt, role)
    confirm = await bot.tap_edit(secretary, status_prompt, status)
    return await bot.tap_edit(secretary, confirm, "✅ Xác nhận")


async def join(bot: Bot, user: FakeUser, token: str) -> dict[str, Any]:
    """Opens a personal link and confirms; returns the welcome message."""
    invitation = await bot.say(user, f"/start {token}")
    welcome = await bot.tap_edit(user, invitation, "✅ Xác nhận")
    await bot.settle()
    return welcome
