"""Several processes on one database: two runtimes in this test process, one fake Telegram.

Only the leader sends and runs the tick; either handles the updates it receives, once each;
when the leader stops abruptly (its tasks cancelled, nothing released), the other takes over
within seconds and finishes a bulk send without tripping Telegram's limits.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from alembic import command
from sqlmodel import col, select
from telegram import Update

from bot.clock import OffsetClock
from bot.db import Database, alembic_config
from bot.models import (
    Meeting,
    MeetingKind,
    OutboxMessage,
    OutboxStatus,
    Priority,
    ProcessedUpdate,
    Recurrence,
)
from bot.services import leases, meetings, outbox
from chibot.runtime import ProcessSettings, Runtime
from chibot.schema import SchemaState, schema
from fake_telegram import FakeChat, FakeTelegram, FakeUser, RateLimits
from tests.e2e.conftest import BOT_USERNAME, TOKEN, make_settings
from tests.procs import seed_cell

# Leadership changes hands within about two seconds here (production: renew 2 s, expire 10 s).
FAST = {
    "leader_renew_seconds": 0.2,
    "leader_expire_seconds": 2.0,
    "claim_lease_seconds": 2.0,
    "outbox_poll_seconds": 0.1,
}


@dataclass
class Deployment:
    """Two processes of one bot on one database."""

    api: FakeTelegram
    database_url: str
    processes: dict[str, Runtime] = field(default_factory=dict)
    clocks: dict[str, OffsetClock] = field(default_factory=dict)

    async def start(self, name: str, **overrides: Any) -> Runtime:
        settings = make_settings(self.api, self.database_url, **overrides)
        db = Database(settings.database_url)
        db.upgrade()
        clock = OffsetClock()
        runtime = Runtime(
            settings,
            clock=clock,
            db=db,
            process=ProcessSettings(_env_file=None, **FAST),  # type: ignore[call-arg]
            process_id=name,
        )
        await runtime.start(poll_timeout=1)
        assert runtime.core.bot_username == BOT_USERNAME
        self.processes[name] = runtime
        self.clocks[name] = clock
        return runtime

    def advance(self, delta: timedelta) -> None:
        """Moves every process's clock (each has its own, as on separate machines)."""
        for clock in self.clocks.values():
            clock.advance(delta)

    @property
    def db(self) -> Database:
        return next(iter(self.processes.values())).db

    async def stop(self) -> None:
        for runtime in self.processes.values():
            await runtime.stop()
            runtime.db.dispose()


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    """A fake Telegram enforcing Telegram's own limits (30/s, 1/s per private chat)."""
    async with FakeTelegram(
        token=TOKEN, bot_username=BOT_USERNAME, rate_limits=RateLimits()
    ) as api:
        yield api


@pytest.fixture
async def deployment(telegram: FakeTelegram, database_url: str) -> AsyncIterator[Deployment]:
    running = Deployment(telegram, database_url)
    yield running
    await running.stop()


async def wait_until(condition: Callable[[], bool], seconds: float, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not condition():
        if loop.time() > deadline:
            raise TimeoutError(f"not in {seconds} s: {what}")
        await asyncio.sleep(0.05)


def rows(db: Database) -> list[OutboxMessage]:
    with db.session() as session:
        return list(session.exec(select(OutboxMessage)))


def leader_of(db: Database) -> str | None:
    """Who holds the leader lease now (leases run on real time, whatever the bot's clocks)."""
    with db.session() as session:
        return leases.holder_of(session=session, name=leases.LEADER, now=datetime.now(UTC))


def help_update(update_id: int, user: FakeUser) -> dict[str, Any]:
    """A /trogiup from `user`, as a webhook would deliver it to whichever process."""
    sender = {"id": user.id, "is_bot": False, "first_name": user.first_name}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": {"id": user.id, "type": "private", "first_name": user.first_name},
            "from": sender,
            "text": "/trogiup",
            "entities": [{"type": "bot_command", "offset": 0, "length": 8}],
        },
    }


async def deliver(runtime: Runtime, update: dict[str, Any]) -> None:
    assert runtime.telegram is not None
    application = runtime.telegram.application
    await application.update_queue.put(Update.de_json(update, application.bot))


async def test_one_leader_sends_and_either_process_handles_each_update_once(
    deployment: Deployment,
) -> None:
    api = deployment.api
    a = await deployment.start("A")
    b = await deployment.start("B")
    assert (a.is_leader, b.is_leader) == (True, False)
    assert all(d.running for d in a.dispatchers.values())
    assert not any(d.running for d in b.dispatchers.values())
    assert leader_of(a.db) == "A"

    polled = [api.add_user(f"Hỏi {i}", started=True) for i in range(10)]
    to_both = [api.add_user(f"Hai nơi {i}", started=True) for i in range(10)]
    to_b = [api.add_user(f"Chỉ B {i}", started=True) for i in range(6)]
    to_a = [api.add_user(f"Chỉ A {i}", started=True) for i in range(6)]
    # Polled by whichever process asks first (both poll the same bot).
    for user in polled:
        await api.user_sends(user, "/trogiup")
    # Delivered to both processes (a retried webhook behind a load balancer), or to one.
    for n, user in enumerate(to_both):
        update = help_update(5_000_000 + n, user)
        await asyncio.gather(deliver(a, update), deliver(b, update))
    for n, user in enumerate(to_b):
        await deliver(b, help_update(6_000_000 + n, user))
    for n, user in enumerate(to_a):
        await deliver(a, help_update(7_000_000 + n, user))

    everyone = polled + to_both + to_b + to_a
    await wait_until(
        lambda: all(api.sent_count(u) >= 1 for u in everyone), 30, "everyone answered"
    )
    await a.drain()
    await asyncio.sleep(0.5)  # a second answer would have arrived by now

    assert [api.sent_count(u) for u in everyone] == [1] * len(everyone)
    assert (a.is_leader, b.is_leader) == (True, False)
    sent = rows(a.db)
    assert len(sent) == len(everyone)
    assert {(r.status, r.claimed_by) for r in sent} == {(OutboxStatus.SENT, "A")}
    # B handled what only it received: its replies exist, and A sent them.
    keys = {r.dedupe_key.rsplit(":", 1)[0] for r in sent}
    assert {f"u:telegram:{6_000_000 + n}" for n in range(len(to_b))} <= keys
    with a.db.session() as session:
        handled = session.exec(
            select(ProcessedUpdate.update_id).where(
                col(ProcessedUpdate.update_id).startswith("5000")
            )
        ).all()
    assert len(handled) == len(to_both)
    assert api.rate_limited_count == 0


RECIPIENTS = 300


async def test_a_bulk_send_completes_through_the_other_process_when_the_leader_dies(
    deployment: Deployment,
) -> None:
    api = deployment.api
    # Telegram's own limits, not the lenient ones of the functional tests.
    limits = {"CHIBOT_RATE_PRIVATE": 1, "CHIBOT_RATE_GROUP": 20}
    a = await deployment.start("A", **limits)
    b = await deployment.start("B", **limits)
    users = [api.add_user(f"Đảng viên {i}", started=True) for i in range(RECIPIENTS)]
    with a.db.session() as session:
        queued = []
        for user in users:
            queued.extend(
                outbox.message_rows(
                    dedupe_key=f"announcement:1:{user.id}",
                    chat_id=str(user.id),
                    text="Thông báo: sinh hoạt chi bộ thường kỳ tháng 12.",
                    priority=Priority.BULK,
                    is_group=False,
                    now=deployment.clocks["A"].now(),
                )
            )
        assert outbox.enqueue_many(session=session, rows=queued) == RECIPIENTS
    a.wake()
    await wait_until(lambda: api.sent_count() >= 60, 30, "the leader sending")

    await a.abandon()
    stopped_at = time.monotonic()
    sent_by_a = api.sent_count()
    assert sent_by_a < RECIPIENTS

    await wait_until(
        lambda: all(api.sent_count(u) >= 1 for u in users), 30, "every recipient reached"
    )
    took = time.monotonic() - stopped_at
    await b.drain()

    assert b.is_leader
    assert leader_of(b.db) == "B"
    counts = [api.sent_count(u) for u in users]
    assert min(counts) == 1
    assert max(counts) <= 2
    # A dead leader's unfinished claims are the only doubles: at most what it had in flight.
    assert sum(counts) - RECIPIENTS <= 30
    assert api.rate_limited_count == 0
    # About 240 messages at 30/s, after a takeover of about two seconds.
    assert took < 20
    final = rows(b.db)
    assert {r.status for r in final} == {OutboxStatus.SENT}
    by = {"A": 0, "B": 0}
    for r in final:
        by[str(r.claimed_by)] += 1
    assert by["A"] > 0
    assert by["B"] > RECIPIENTS - sent_by_a - 1


async def _cell_with_a_monthly_meeting(
    deployment: Deployment, api: FakeTelegram, people_count: int
) -> tuple[list[FakeUser], int]:
    """A linked cell whose members all joined, and a monthly meeting tomorrow."""
    secretary = api.add_user("Nguyễn Văn Bình", started=True)
    group = api.add_group("Chi bộ Văn phòng", members=[secretary], admins=[secretary])
    joined = [api.add_user(f"Đảng viên {i}", started=True) for i in range(people_count)]
    # Off the loop, like the bot's own database work: the heartbeats go on meanwhile.
    series_id = await asyncio.to_thread(
        _store_cell, deployment, secretary, group, joined, deployment.clocks["A"].now()
    )
    return [secretary, *joined], series_id


def _store_cell(
    deployment: Deployment,
    secretary: FakeUser,
    group: FakeChat,
    joined: list[FakeUser],
    now: datetime,
) -> int:
    cell = seed_cell(
        deployment.db,
        secretary=secretary,
        group=group,
        joined=joined,
        now=now,
        meetings_to_make=[
            meetings.MeetingDraft(
                kind=MeetingKind.REGULAR,
                starts_at=now + timedelta(days=1, hours=1),
                topic="Sinh hoạt thường kỳ",
                reminder_offsets=[120],
                recurrence=Recurrence.MONTHLY_DAY,
            )
        ],
    )
    with deployment.db.session() as session:
        meeting = session.get(Meeting, cell.meeting_ids[0])
        assert meeting is not None
        assert meeting.series_id is not None
        return meeting.series_id


async def test_both_processes_tick_and_each_reminder_and_meeting_is_made_once(
    deployment: Deployment,
) -> None:
    api = deployment.api
    a = await deployment.start("A")
    b = await deployment.start("B")
    recipients, series_id = await _cell_with_a_monthly_meeting(deployment, api, 8)
    await a.drain()
    before = {u.id: api.sent_count(u) for u in recipients}

    # Past the reminder's moment (2 hours before the start) on both machines.
    deployment.advance(timedelta(days=1, minutes=1))
    ticked = await asyncio.gather(a.tick(), b.tick())
    assert ticked[0] is not None
    assert ticked[1] is None
    assert ticked[0].reminders.rows == len(recipients) + 1  # every member, and the group
    # Even if both ran the chores at once (a handover), nothing is enqueued twice.
    again = await asyncio.gather(asyncio.to_thread(a.run_chores), asyncio.to_thread(b.run_chores))
    assert [r.reminders.rows for r in again] == [0, 0]
    await a.drain()
    await asyncio.sleep(0.3)
    got = [api.sent_count(u) - before[u.id] for u in recipients]
    assert got == [1] * len(recipients)
    reminder_rows = [r for r in rows(a.db) if r.dedupe_key.startswith("reminder:")]
    assert len(reminder_rows) == len(recipients) + 1
    assert {r.claimed_by for r in reminder_rows} == {"A"}

    # Past the start: the series rolls over to next month, once, though both extend it.
    deployment.advance(timedelta(hours=1))
    made = await asyncio.gather(asyncio.to_thread(a.run_chores), asyncio.to_thread(b.run_chores))
    assert sorted(r.new_occurrences for r in made) == [0, 1]
    assert await a.tick() is not None
    assert await b.tick() is None
    with a.db.session() as session:
        starts = session.exec(
            select(Meeting.starts_at).where(Meeting.series_id == series_id)
        ).all()
    assert len(starts) == len(set(starts)) == 2
    assert api.rate_limited_count == 0


async def test_a_clean_stop_hands_the_lead_over_at_once(deployment: Deployment) -> None:
    api = deployment.api
    a = await deployment.start("A")
    b = await deployment.start("B")
    assert not b.is_leader
    await a.stop()
    del deployment.processes["A"]
    a.db.dispose()
    # No wait for expiry: A gave the lease up; B's next heartbeat takes it.
    await wait_until(lambda: b.is_leader, 0.8, "B leads")
    user = api.add_user("Lan", started=True)
    await api.user_sends(user, "/trogiup")
    await wait_until(lambda: api.sent_count(user) == 1, 10, "B answers and sends")
    assert {r.claimed_by for r in rows(b.db)} == {"B"}


def test_schema_is_current_only_at_the_newest_migration(empty_database_url: str) -> None:
    db = Database(empty_database_url)
    try:
        assert schema(db).state != SchemaState.CURRENT  # empty
        command.upgrade(alembic_config(db.url), "0004")
        assert schema(db).state != SchemaState.CURRENT  # older: `chibot run` refuses on PostgreSQL
        db.upgrade()
        assert schema(db).state == SchemaState.CURRENT
    finally:
        db.dispose()
