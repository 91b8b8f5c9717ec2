"""Reliability: the bot process is SIGKILLed mid-send and started again."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import col, select

from bot.clock import SystemClock
from bot.db import Database
from bot.models import (
    Announcement,
    AnnouncementRecipient,
    AudienceKind,
    Member,
    MemberStatus,
    OutboxMessage,
    Priority,
    Role,
)
from bot.services import announcement_ledger, announcements, members, outbox, people
from fake_telegram import FakeTelegram, RateLimits
from tests.e2e.conftest import BOT_USERNAME, TOKEN
from tests.procs import seed_cell

RECIPIENTS = 500


def _start_bot(api: FakeTelegram, db_path: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "CHIBOT_DATABASE_URL": f"sqlite:///{db_path}",
        "CHIBOT_TELEGRAM_API_URL": api.url,
        "CHIBOT_RETRY_BASE_SECONDS": "0.2",
    }
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "chibot", "run"], env=env, stdout=out, stderr=subprocess.STDOUT
        )


async def _wait_until(condition: object, seconds: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not condition():  # type: ignore[operator]
        if loop.time() > deadline:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(0.05)


@pytest.mark.slow
@pytest.mark.timeout(180)
async def test_sigkill_mid_send_loses_nothing_and_doubles_little(tmp_path: Path) -> None:
    async with FakeTelegram(
        token=TOKEN, bot_username=BOT_USERNAME, rate_limits=RateLimits()
    ) as api:
        users = [api.add_user(f"Đảng viên {i}", started=True) for i in range(RECIPIENTS)]
        db_path = tmp_path / "crash.db"
        db = Database(f"sqlite:///{db_path}")
        db.upgrade()
        with db.session() as session:
            rows = []
            for user in users:
                rows.extend(
                    outbox.message_rows(
                        dedupe_key=f"announcement:1:{user.id}",
                        chat_id=str(user.id),
                        text="Thông báo: sinh hoạt chi bộ thường kỳ tháng 12.",
                        priority=Priority.BULK,
                        is_group=False,
                        now=SystemClock().now(),
                    )
                )
            outbox.enqueue_many(session=session, rows=rows)
        db.dispose()
        log = tmp_path / "bot.log"

        first = _start_bot(api, db_path, log)
        try:
            await _wait_until(lambda: api.sent_count() >= 150, 60)
        finally:
            first.kill()
            await asyncio.to_thread(first.wait, 30)
        sent_before_restart = api.sent_count()
        assert sent_before_restart < RECIPIENTS

        second = _start_bot(api, db_path, log)
        try:
            await _wait_until(lambda: all(api.sent_count(u.id) >= 1 for u in users), 90)
        finally:
            # The fake server lives on this event loop: never block it while the bot shuts down.
            second.terminate()
            await asyncio.to_thread(second.wait, 30)

        counts = [api.sent_count(u.id) for u in users]
        assert min(counts) == 1
        assert max(counts) <= 2
        assert api.rate_limited_count == 0, log.read_text()


AUDIENCE = 2000
NEVER_STARTED = 10
NOT_JOINED = 5
# A send takes this long, as over a real network: the kill finds some in flight.
SEND_LATENCY = 0.05
# Only what was in flight when the process died can go twice.
MOST_IN_FLIGHT = 30


def _scheduled_announcement(db: Database, secretary: int, now: datetime) -> int:
    """An announcement to the whole cell whose time has come: the bot's tick sends it."""
    with db.session() as session:
        boss = people.get_person(session=session, channel="telegram", external_id=str(secretary))
        assert boss is not None
        [org_id] = session.exec(select(Member.org_id).where(Member.person_id == boss.id)).all()
        members.add_members(
            session=session,
            org_id=org_id,
            names=[f"Chưa Tham Gia {i}" for i in range(NOT_JOINED)],
            role=Role.MEMBER,
            status=MemberStatus.FULL,
            actor=boss,
            now=now,
        )
        draft = announcements.Draft(
            org_id=org_id,
            text="Thông báo: sinh hoạt chi bộ thường kỳ tháng 1, 19:30 thứ Năm.",
            audience=AudienceKind.CELL,
            due_at=now + timedelta(days=1),
        )
        found = announcements.create(session=session, draft=draft, actor=boss, now=now)
        # The day has come (the subprocess reads the real clock).
        found.due_at = now - timedelta(minutes=1)
        session.add(found)
        assert found.id is not None
        return found.id


def _ledger(db: Database, announcement_id: int) -> tuple[int, int, int, int, int, int]:
    """The ledger's audience, delivered, unreachable, pending; the members messaged; the
    recipient rows."""
    with db.session() as session:
        found = session.get(Announcement, announcement_id)
        assert found is not None
        figures = announcement_ledger.ledger(session=session, announcement=found)
        prefix = announcements.message_key(announcement_id) + ":"
        keys = session.exec(
            select(OutboxMessage.dedupe_key).where(
                col(OutboxMessage.dedupe_key).startswith(prefix)
            )
        ).all()
        recipients = session.exec(
            select(func.count())
            .select_from(AnnouncementRecipient)
            .where(AnnouncementRecipient.announcement_id == announcement_id)
        ).one()
        return (
            figures.audience,
            figures.delivered,
            figures.unreachable,
            figures.pending,
            # A long message goes in parts (`<key>#2`…): one member, one message.
            len({k.split("#")[0] for k in keys}),
            int(recipients),
        )


@pytest.mark.slow
@pytest.mark.timeout(300)
async def test_an_announcement_to_2000_goes_once_to_each_across_a_sigkill(
    tmp_path: Path,
) -> None:
    async with FakeTelegram(
        token=TOKEN, bot_username=BOT_USERNAME, rate_limits=RateLimits()
    ) as api:
        secretary = api.add_user("Nguyễn Văn Bí", started=True)
        group = api.add_group("Chi bộ Văn phòng", members=[secretary], admins=[secretary])
        started = [api.add_user(f"Đảng viên {i:04d}", started=True) for i in range(AUDIENCE)]
        silent = [api.add_user(f"Chưa bấm Start {i}", started=False) for i in range(NEVER_STARTED)]
        api.set_latency(SEND_LATENCY)
        db_path = tmp_path / "crash.db"
        db = Database(f"sqlite:///{db_path}")
        db.upgrade()
        now = SystemClock().now()
        await asyncio.to_thread(
            seed_cell, db, secretary=secretary, group=group, joined=[*started, *silent], now=now
        )
        announcement_id = await asyncio.to_thread(_scheduled_announcement, db, secretary.id, now)
        log = tmp_path / "bot.log"

        first = _start_bot(api, db_path, log)
        try:
            await _wait_until(lambda: api.sent_count() >= 300, 90)
        finally:
            first.kill()
            await asyncio.to_thread(first.wait, 30)
        assert api.sent_count() < AUDIENCE  # killed mid-send
        mid = await asyncio.to_thread(_ledger, db, announcement_id)
        audience, delivered, unreachable, pending, _, _ = mid
        assert delivered + unreachable + pending == audience
        assert pending > 0

        second = _start_bot(api, db_path, log)
        try:
            await _wait_until(lambda: all(api.sent_count(u) >= 1 for u in started), 150)
            await _wait_until(lambda: _ledger(db, announcement_id)[3] == 0, 60)
        finally:
            second.terminate()
            await asyncio.to_thread(second.wait, 30)

        # Everyone who started the bot got it; only what was in flight at the kill went twice.
        counts = [api.sent_count(u) for u in started]
        assert min(counts) == 1, log.read_text()[-3000:]
        assert max(counts) <= 2
        assert sum(counts) - AUDIENCE <= MOST_IN_FLIGHT
        assert [api.sent_count(u) for u in silent] == [0] * NEVER_STARTED
        # One recipient row and one message per member, however many processes sent it; the
        # ledger adds up: everyone reached, the never-started and the not-joined unreachable.
        audience, delivered, unreachable, pending, messages, recipients = await asyncio.to_thread(
            _ledger, db, announcement_id
        )
        cell = 1 + AUDIENCE + NEVER_STARTED + NOT_JOINED
        assert (audience, recipients) == (cell, cell)
        assert messages == 1 + AUDIENCE + NEVER_STARTED  # the not-joined have no chat
        assert (delivered, unreachable, pending) == (
            1 + AUDIENCE,
            NEVER_STARTED + NOT_JOINED,
            0,
        )
        assert delivered + unreachable + pending == audience
        assert api.rate_limited_count == 0, log.read_text()[-3000:]
        db.dispose()
