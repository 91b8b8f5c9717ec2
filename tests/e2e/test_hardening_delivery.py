"""Delivery through outages: the outbox rides out a long 502 outage and sends nothing stale."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlmodel import col, select

from bot.clock import OffsetClock
from bot.models import MeetingKind, Organisation, OutboxMessage, OutboxStatus
from bot.services import notices, outbox
from bot.services.meetings import MeetingDraft
from bot.ui import Screen
from fake_telegram import FakeTelegram
from tests.e2e.conftest import BOT_USERNAME, TOKEN, Bot, launch
from tests.procs import seed_cell

MEMBERS = 100
OUTAGE = timedelta(seconds=300)
STEP = timedelta(seconds=30)


@pytest.fixture
async def fast_api() -> AsyncIterator[FakeTelegram]:
    """A fake server without flood limits: the outage test sends a thousand failing requests."""
    async with FakeTelegram(token=TOKEN, bot_username=BOT_USERNAME) as server:
        yield server


@pytest.fixture
async def fast_bot(fast_api: FakeTelegram, database_url: str) -> AsyncIterator[Bot]:
    running = await launch(
        fast_api,
        database_url,
        OffsetClock(),
        CHIBOT_RATE_GLOBAL=1000,
        CHIBOT_RATE_PRIVATE=1000,
        CHIBOT_RETRY_BASE_SECONDS=0.2,
    )
    yield running
    await running.stop()


def _statuses(bot: Bot, prefix: str) -> dict[OutboxStatus, int]:
    with bot.db.session() as session:
        return outbox.status_counts(session=session, key_prefix=prefix)


def _attempted(bot: Bot) -> int:
    """How many rows have been tried at least once."""
    with bot.db.session() as session:
        return len(session.exec(select(OutboxMessage.id).where(OutboxMessage.attempts > 0)).all())


async def test_a_five_minute_outage_loses_nothing_and_sends_nothing_stale(
    fast_bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    bot, api = fast_bot, fast_bot.api
    secretary = api.add_user("Bí Thư", started=True)
    people = [api.add_user(f"Đảng viên {i}", started=True) for i in range(MEMBERS)]
    group = api.add_group("Chi bộ", members=[secretary, *people], admins=[secretary])
    start = bot.clock.now()
    soon = MeetingDraft(
        kind=MeetingKind.REGULAR,
        starts_at=start + timedelta(minutes=4),
        topic="Họp gấp",
        reminder_offsets=[3],
    )
    cell = await asyncio.to_thread(
        seed_cell,
        bot.db,
        secretary=secretary,
        group=group,
        joined=people,
        now=start,
        meetings_to_make=[soon],
    )
    caplog.set_level(logging.INFO, logger="jobs.dispatcher")

    # Telegram answers 502 to every send for five minutes (the switch is off at the end).
    api.inject_fault("sendMessage", "server_error", count=10**9)
    with bot.db.session() as session:
        org = session.get(Organisation, cell.org_id)
        assert org is not None
        notices.announce_meeting(
            session=session,
            org=org,
            build=lambda _t: Screen("Thông báo chung của chi bộ"),
            key="notice:outage",
            now=start,
        )
    bot.runtime.wake()
    # A minute in, the reminder of the meeting that starts at minute four is queued.
    bot.clock.advance(timedelta(minutes=1))
    await bot.runtime.tick()
    assert _statuses(bot, "reminder:")[OutboxStatus.PENDING] == MEMBERS + 2  # + secretary, group
    while bot.clock.now() - start < OUTAGE:
        await bot.settle()
        bot.clock.advance(STEP)
    await bot.settle()
    assert _attempted(bot) == 2 * (MEMBERS + 2)
    with bot.db.session() as session:
        tries = session.exec(
            select(OutboxMessage.attempts).where(
                col(OutboxMessage.dedupe_key).startswith("notice:outage")
            )
        ).all()
    # Far more attempts than the outbox used to allow before giving a row up.
    assert min(tries) >= 9
    assert _statuses(bot, "notice:outage") == {OutboxStatus.PENDING: MEMBERS + 2}
    assert any("rows waiting to retry (telegram unreachable since" in m for m in caplog.messages)

    # The meeting started at minute four; Telegram is back at minute five.
    assert bot.clock.now() > soon.starts_at
    api.clear_faults()
    bot.clock.advance(delivery_cap())
    await bot.settle()

    assert _statuses(bot, "notice:outage") == {OutboxStatus.SENT: MEMBERS + 2}
    for person in people:
        texts = [m.get("text", "") for m in api.messages_in(person)]
        assert texts.count("Thông báo chung của chi bộ") == 1
        assert not any("Họp gấp" in text for text in texts)
    assert _statuses(bot, "reminder:") == {OutboxStatus.EXPIRED: MEMBERS + 2}
    assert not any("Họp gấp" in m.get("text", "") for m in api.messages_in(group))
    # The committee's ledger of the meeting says so.
    with bot.db.session() as session:
        figures = outbox.meeting_delivery(
            session=session, org_id=cell.org_id, meeting_id=cell.meeting_ids[0]
        )
    assert figures == {OutboxStatus.EXPIRED: MEMBERS + 2}


def delivery_cap() -> timedelta:
    """The longest a row waits between attempts: after it, every waiting row is due."""
    from bot.services.delivery import RETRY_CAP

    return RETRY_CAP


async def test_a_queued_reminder_is_not_sent_once_its_moment_passed(bot: Bot) -> None:
    lan = bot.api.add_user("Lan", started=True)
    dispatcher = bot.runtime.dispatchers["telegram"]
    # Held back (the process lost the lead a while, say) with the reminder queued.
    await dispatcher.pause()
    now = bot.clock.now()
    with bot.db.session() as session:
        for key, expires in (("reminder:late", now + timedelta(minutes=1)), ("notice:late", None)):
            outbox.enqueue_message(
                session=session,
                dedupe_key=key,
                chat_id=str(lan.id),
                text=f"Tin {key}",
                is_group=False,
                now=now,
                expires_at=expires,
            )
    bot.clock.advance(timedelta(minutes=2))
    # No tick runs: the check is the dispatcher's, when it takes the row to send it.
    await dispatcher.start()
    await bot.settle()

    assert [m["text"] for m in bot.api.messages_in(lan)] == ["Tin notice:late"]
    assert _statuses(bot, "reminder:late") == {OutboxStatus.EXPIRED: 1}
    assert _statuses(bot, "notice:late") == {OutboxStatus.SENT: 1}
