"""Flooding through the fake servers: a person is slowed down, a group's notices go first."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import select

from bot.actions.turns import GROUP_REPLIES_AHEAD
from bot.clock import OffsetClock
from bot.flood import Verdict
from bot.models import Organisation, OutboxMessage
from bot.services import notices
from bot.ui import Screen
from fake_telegram import FakeTelegram, RateLimits
from tests.e2e.chat import Chat
from tests.e2e.conftest import BOT_USERNAME, TOKEN, Bot, launch
from tests.procs import seed_cell, wait_for

SLOW_DOWN = "Đồng chí gửi quá nhanh, vui lòng chậm lại một chút."
FLOOD = 20  # the default limit of commands a minute
NOTICE = "Thông báo của chi bộ: họp chi ủy mở rộng"


async def test_a_person_flooding_commands_is_told_once_to_slow_down(chat: Chat) -> None:
    lan = chat.add("Trần Thị Lan")
    await chat.say(lan, "/trogiup")
    # Counts the commands the core has looked at (answered or not).
    guard = chat.bot.runtime.core.flood
    looked = []
    check = guard.check

    def counting(**kwargs: Any) -> Verdict:
        looked.append(kwargs["user_id"])
        return check(**kwargs)

    guard.check = counting  # type: ignore[method-assign]
    since = time.monotonic()
    for _ in range(2 * FLOOD):
        if lan.tg is not None:
            await chat.api.user_sends(lan.tg, "/trogiup")
        else:
            assert lan.zalo is not None
            await chat.zapi.user_sends(lan.zalo, "/trogiup")
    await wait_for(lambda: len(looked) == 2 * FLOOD, 30, "every command looked at")
    await wait_for(lambda: SLOW_DOWN in [m.text for m in chat._sent_since(lan, since)], 30, "")
    await chat.bot.settle()
    texts = [m.text for m in chat._sent_since(lan, since)]
    # The first command counted too: FLOOD - 1 more were answered, then the warning, then
    # nothing for the other FLOOD.
    assert texts.count(SLOW_DOWN) == 1
    assert texts[-1] == SLOW_DOWN
    assert len([text for text in texts if "/ngonngu" in text]) == FLOOD - 1

    # A while later the person is heard again.
    chat.bot.clock.advance(timedelta(minutes=2))
    later = await chat.say(lan, "/trogiup")
    assert "/ngonngu" in later.text


@pytest.fixture
async def group_api() -> AsyncIterator[FakeTelegram]:
    """Telegram's real group limit: 20 messages a minute."""
    limits = RateLimits(global_per_second=30, private_per_second=30, group_per_minute=20)
    async with FakeTelegram(token=TOKEN, bot_username=BOT_USERNAME, rate_limits=limits) as server:
        yield server


@pytest.fixture
async def group_bot(group_api: FakeTelegram, database_url: str) -> AsyncIterator[Bot]:
    running = await launch(group_api, database_url, OffsetClock(), CHIBOT_RATE_GROUP=20)
    yield running
    await running.stop()


def _notify_group(bot: Bot, org_id: int) -> None:
    with bot.db.session() as session:
        org = session.get(Organisation, org_id)
        assert org is not None
        notices.announce_meeting(
            session=session,
            org=org,
            build=lambda _t: Screen(NOTICE),
            key="notice:flood",
            now=bot.clock.now(),
        )
    bot.runtime.wake()


def _group_rows(bot: Bot, chat_id: int) -> int:
    with bot.db.session() as session:
        return len(
            session.exec(
                select(OutboxMessage.id).where(OutboxMessage.chat_id == str(chat_id))
            ).all()
        )


async def _notice_in(api: FakeTelegram, chat_id: int) -> list[str]:
    """Waits for the notice in the group; returns the group's messages up to it."""
    await api.next_call(
        "sendMessage",
        where=lambda c: c.params["chat_id"] == chat_id and c.params["text"] == NOTICE,
        timeout=60,
    )
    texts = [str(m.get("text", "")) for m in api.messages_in(chat_id)]
    return texts[: texts.index(NOTICE) + 1]


async def test_a_guest_flooding_a_group_does_not_delay_its_notices(group_bot: Bot) -> None:
    bot, api = group_bot, group_bot.api
    secretary = api.add_user("Bí Thư", started=True)
    guest = api.add_user("Khách", started=True)
    group = api.add_group("Chi bộ", members=[secretary, guest], admins=[secretary])
    cell = await asyncio.to_thread(
        seed_cell, bot.db, secretary=secretary, group=group, joined=[], now=bot.clock.now()
    )
    for _ in range(40):
        await api.user_sends(guest, "/trogiup", chat=group)
    await wait_for(lambda: _group_rows(bot, group.id) >= 1, 30, "the guest's first reply")
    _notify_group(bot, cell.org_id)

    before = await _notice_in(api, group.id)
    await bot.settle()
    # One answer to the guest at most, and the notice right after it.
    assert len(before) <= 2
    bot_texts = [str(m.get("text", "")) for m in api.messages_in(group)]
    assert len(bot_texts) <= 2
    assert bot_texts.count(NOTICE) == 1


async def test_members_replies_in_a_group_wait_behind_a_notice(group_bot: Bot) -> None:
    bot, api = group_bot, group_bot.api
    secretary = api.add_user("Bí Thư", started=True)
    members = [api.add_user(f"Đảng viên {i}", started=True) for i in range(8)]
    group = api.add_group("Chi bộ", members=[secretary, *members], admins=[secretary])
    cell = await asyncio.to_thread(
        seed_cell, bot.db, secretary=secretary, group=group, joined=members, now=bot.clock.now()
    )
    for member in members:
        await api.user_sends(member, "/trogiup", chat=group)
    await wait_for(lambda: _group_rows(bot, group.id) >= len(members), 30, "the replies")
    _notify_group(bot, cell.org_id)

    before = await _notice_in(api, group.id)
    # Replies sent before the notice: the first few queued (and one being sent), not all 8.
    assert len(before) - 1 <= GROUP_REPLIES_AHEAD + 1
    assert len(before) - 1 < len(members)
