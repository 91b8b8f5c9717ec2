"""Two real `chibot run --webhook` OS processes on one PostgreSQL database.

The fake Telegram server runs in this test process and posts every update to one webhook URL:
a round-robin load balancer (tests/procs.py) that hands the updates to the two workers in
turn, and hands a copy of some to the other worker as well (Telegram retrying a delivery).
The workers are `python -m chibot run` subprocesses with short leader and claim leases; they
are stopped with SIGTERM, killed with SIGKILL and started again. Their logs go to files in
the test's temporary directory; the last lines are printed when a test fails.

Nothing here waits for a fixed time: every step polls for the condition it needs, with a
generous deadline against a hang.
"""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func
from sqlmodel import col, select

from bot.db import Database
from bot.i18n import translator
from bot.models import (
    Meeting,
    MeetingKind,
    MeetingReminder,
    Organisation,
    OutboxMessage,
    OutboxStatus,
    Priority,
    ProcessedUpdate,
    Recurrence,
    Rsvp,
    RsvpAnswer,
)
from bot.render_meetings import notice_text, rsvp_keyboard
from bot.services import notices, outbox
from bot.services.meetings import MeetingDraft
from bot.ui import Screen
from fake_telegram import Call, FakeTelegram, FakeUser, RateLimits
from tests.e2e.conftest import BOT_USERNAME, TOKEN
from tests.procs import Cell, deployment_of, most_in_window, seed_cell, wait_for

pytestmark = pytest.mark.slow

SENDS = frozenset({"sendMessage", "sendDocument", "sendPhoto"})
# Telegram's overall limit and our own bucket's burst (bot/ratelimit.py: capacity 3).
OVERALL_PER_SECOND = 30
BURST = 3
# Sends reach the fake a few milliseconds earlier or later than our limiter let them go.
JITTER = 6
# A dead leader's claims in flight are the only messages sent twice: at most the bulk rows a
# dispatcher keeps in flight (12) and one claim (3 tokens); twice that leaves room.
MOST_IN_FLIGHT = 30
# How long the fake takes to answer a send (Telegram from Việt Nam: a few hundred ms).
SEND_LATENCY = 0.2


@pytest.fixture
def pg_url(backend: str, request: pytest.FixtureRequest) -> str:
    """A fresh migrated PostgreSQL database; the SQLite run of these tests is skipped (one
    SQLite file is one process's database)."""
    if backend != "postgres":
        pytest.skip("several OS processes share one database only on PostgreSQL")
    url: str = request.getfixturevalue("database_url")
    return url


@pytest.fixture
async def api() -> AsyncIterator[FakeTelegram]:
    """A fake Telegram enforcing Telegram's own limits (30/s overall, 1/s per private chat,
    20/min per group), counting every 429 it answers."""
    async with FakeTelegram(
        token=TOKEN, bot_username=BOT_USERNAME, rate_limits=RateLimits()
    ) as server:
        yield server


def _sends(api: FakeTelegram) -> list[Call]:
    return [c for c in api.calls if c.method in SENDS and c.result is not None]


def _unsettled(db: Database) -> int:
    """Outbox rows not (yet) sent: pending, claimed or failed."""
    with db.session() as session:
        return int(
            session.exec(
                select(func.count())
                .select_from(OutboxMessage)
                .where(col(OutboxMessage.status) != OutboxStatus.SENT)
            ).one()
        )


def _count(db: Database, model: Any, *where: Any) -> int:
    with db.session() as session:
        return int(session.exec(select(func.count()).select_from(model).where(*where)).one())


async def _at_least(db: Database, n: int, model: Any, *where: Any) -> bool:
    return await asyncio.to_thread(_count, db, model, *where) >= n


async def _all_sent(db: Database, expected_rows: int) -> bool:
    def check() -> bool:
        return _count(db, OutboxMessage) >= expected_rows and _unsettled(db) == 0

    return await asyncio.to_thread(check)


def _bulk_rows(users: list[FakeUser], key: str, now: datetime) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for user in users:
        rows.extend(
            outbox.message_rows(
                dedupe_key=f"{key}:{user.id}",
                chat_id=str(user.id),
                text="Thông báo: sinh hoạt chi bộ thường kỳ tháng 12, 19:30 thứ Năm.",
                priority=Priority.BULK,
                is_group=False,
                now=now,
            )
        )
    return rows


def _not_once(api: FakeTelegram, users: list[FakeUser]) -> dict[int, int]:
    """The people who did not get exactly one message, with how many they got."""
    return {u.id: n for u in users if (n := api.sent_count(u)) != 1}


def _enqueue(db: Database, rows: list[dict[str, Any]]) -> int:
    with db.session() as session:
        return outbox.enqueue_many(session=session, rows=rows)


def _limits_held(api: FakeTelegram, private_chats: set[int]) -> tuple[int, int]:
    """The most sends in any second overall, and to one private chat, from the fake's clock."""
    sends = _sends(api)
    overall = most_in_window([c.at for c in sends], 1.0)
    per_chat: dict[int, list[float]] = {}
    for call in sends:
        if call.chat_id in private_chats:
            per_chat.setdefault(int(call.chat_id), []).append(call.at)
    busiest = max((most_in_window(times, 1.0) for times in per_chat.values()), default=0)
    return overall, busiest


# --- 1. updates across both processes, each handled once ---------------------------------------

MEMBERS = 500


async def test_members_tap_and_ask_across_both_processes_and_each_update_counts_once(
    api: FakeTelegram, pg_url: str, tmp_path: Path
) -> None:
    secretary = api.add_user("Nguyễn Văn Bình", started=True)
    people = [api.add_user(f"Đảng viên {i:03d}", started=True) for i in range(MEMBERS)]
    group = api.add_group("Chi bộ Văn phòng", members=people, admins=[secretary])
    now = datetime.now(UTC)
    meeting_at = now + timedelta(days=3)
    async with deployment_of(api, pg_url, tmp_path, duplicate_every=10) as deployment:
        cell = await asyncio.to_thread(
            seed_cell,
            deployment.db,
            secretary=secretary,
            group=group,
            joined=people,
            now=now,
            meetings_to_make=[
                MeetingDraft(
                    kind=MeetingKind.REGULAR,
                    starts_at=meeting_at,
                    topic="Sinh hoạt thường kỳ",
                    reminder_offsets=[120],
                )
            ],
        )
        await asyncio.to_thread(_post_notice, deployment.db, cell, now)
        await deployment.start("A", "B")
        await deployment.leader()
        await wait_for(lambda: api.sent_count(group) == 1, 30, "the notice in the group")
        notice = api.messages_in(group)[-1]
        attending = translator("vi").gettext("✅ Attending")

        # Everyone at once: a tap on the group's notice and a command in the private chat.
        taps = [await api.user_taps(person, notice, attending) for person in people]
        for person in people:
            await api.user_sends(person, "/trogiup")
        updates = 2 * MEMBERS

        await wait_for(
            lambda: _at_least(deployment.db, updates, ProcessedUpdate), 90, "every update handled"
        )
        await wait_for(
            lambda: all(api.callback_answer(q) is not None for q in taps), 60, "taps answered"
        )
        await wait_for(
            lambda: _all_sent(deployment.db, MEMBERS + 1), 90, "every reply sent (rows settled)"
        )
        forwarded = dict(deployment.balancer.forwarded)
        duplicated = list(deployment.balancer.duplicated_updates)

    with deployment.db.session() as session:
        handled = [int(u) for u in session.exec(select(ProcessedUpdate.update_id)).all()]
        answers = session.exec(
            select(Rsvp.member_id, Rsvp.answer).where(Rsvp.meeting_id == cell.meeting_ids[0])
        ).all()
        replies = session.exec(
            select(OutboxMessage.dedupe_key).where(
                col(OutboxMessage.dedupe_key).startswith("u:telegram:")
            )
        ).all()
    deployment.db.dispose()

    # The balancer spread the updates over both workers and handed some to both.
    assert len(forwarded) == 2
    assert min(forwarded.values()) >= updates // 3
    assert len(duplicated) >= updates // 10 - 1
    # Each update acted on once: one processed row each, nothing more.
    assert len(handled) == updates
    assert sorted(handled) == list(range(min(handled), min(handled) + updates))
    # Every tap recorded one answer for its member, every member "attending".
    assert sorted(member_id for member_id, _ in answers) == sorted(
        cell.member_ids[p.id] for p in people
    )
    assert {answer for _, answer in answers} == {RsvpAnswer.ATTENDING}
    # Every tap answered once (the fake refuses a second answer), with the toast unless a
    # second copy of that update answered it first.
    twice = {u["callback_query"]["id"] for u in duplicated if "callback_query" in u}
    toast = translator("vi").gettext("Noted: you will attend. Thank you, comrade.")
    answered = [api.callback_answer(q) for q in taps]
    assert all(a is not None for a in answered)
    without_toast = {q for q, a in zip(taps, answered, strict=True) if a and a["text"] != toast}
    assert without_toast <= twice
    good_answers = [c for c in api.calls_of("answerCallbackQuery") if c.result is not None]
    assert Counter(c.params["callback_query_id"] for c in good_answers) == Counter(taps)
    # Every command answered once: one reply row and one message per person.
    assert len(replies) == MEMBERS
    assert _not_once(api, people) == {}
    assert api.sent_count(group) == 1  # the notice; taps are answered by toasts
    assert api.rate_limited_count == 0


def _post_notice(db: Database, cell: Cell, now: datetime) -> None:
    """Queues the meeting's notice to the cell's group, with its answer buttons."""
    with db.session() as session:
        meeting = session.get(Meeting, cell.meeting_ids[0])
        org = session.get(Organisation, cell.org_id)
        assert meeting is not None
        assert org is not None
        rows = notices.group_rows(
            org=org,
            people=[],
            build=lambda t: Screen(notice_text(t, meeting, org, {}), rsvp_keyboard(t, meeting)),
            key=f"notice:{meeting.id}",
            now=now,
        )
        assert outbox.enqueue_many(session=session, rows=rows) == 1


# --- 2. a bulk send survives SIGKILL of the leader ---------------------------------------------

RECIPIENTS = 2000


@pytest.mark.timeout(300)
async def test_a_notice_to_2000_reaches_everyone_when_the_leader_is_killed_mid_send(
    api: FakeTelegram, pg_url: str, tmp_path: Path
) -> None:
    users = [api.add_user(f"Đảng viên {i:04d}", started=True) for i in range(RECIPIENTS)]
    chats = {u.id for u in users}
    # Each send takes a while, as over a real network: the kill finds several in flight.
    api.set_latency(SEND_LATENCY)
    async with deployment_of(api, pg_url, tmp_path) as deployment:
        await deployment.start("A", "B")
        first = await deployment.leader()
        rows = _bulk_rows(users, "announcement:1", datetime.now(UTC))
        assert await asyncio.to_thread(_enqueue, deployment.db, rows) == RECIPIENTS

        await wait_for(lambda: api.sent_count() >= 300, 60, "the leader sending")
        first.signal(signal.SIGKILL)
        assert await first.exited() == -signal.SIGKILL
        sent_by_first = api.sent_count()
        assert sent_by_first < RECIPIENTS  # killed mid-send
        survivor = await deployment.leader()
        assert survivor is not first
        # The killed one comes back (as systemd would restart it) and must not send twice.
        await deployment.start(first.name)

        await wait_for(
            lambda: _all_sent(deployment.db, RECIPIENTS), 150, "every row sent (settled)"
        )
        leader_at_end = await deployment.leader()
        killed_id = first.runs[0].process_id

    with deployment.db.session() as session:
        senders = Counter(session.exec(select(OutboxMessage.claimed_by)).all())
    deployment.db.dispose()

    counts = [api.sent_count(u) for u in users]
    assert min(counts) == 1  # every recipient got it
    assert max(counts) <= 2  # none more than twice
    # Only what the killed leader had in flight can go twice.
    assert sum(counts) - RECIPIENTS <= MOST_IN_FLIGHT
    # Within Telegram's limits for the whole deployment, before, during and after the kill.
    assert api.rate_limited_count == 0
    overall, per_chat = _limits_held(api, chats)
    assert overall <= OVERALL_PER_SECOND + BURST + JITTER
    assert per_chat == 1  # never two messages to one person within a second
    # The killed leader sent a part, the survivor the rest; the restarted one took nothing.
    assert set(senders) == {killed_id, survivor.process_id}
    assert senders[killed_id] < RECIPIENTS
    assert leader_at_end is survivor


# --- 3. the tick in both processes across a reminder and a monthly rollover -------------------

CELL_MEMBERS = 20
TICK = {"CHIBOT_TICK_SECONDS": "0.5"}


async def test_a_reminder_and_a_monthly_rollover_happen_once_while_both_processes_tick(
    api: FakeTelegram, pg_url: str, tmp_path: Path
) -> None:
    secretary = api.add_user("Nguyễn Văn Bình", started=True)
    joined = [api.add_user(f"Đảng viên {i:02d}", started=True) for i in range(CELL_MEMBERS)]
    group = api.add_group("Chi bộ Văn phòng", members=joined, admins=[secretary])
    everyone = [secretary, *joined]
    async with deployment_of(api, pg_url, tmp_path, **TICK) as deployment:
        await deployment.start("A", "B")
        first = await deployment.leader()
        # On the real clock: a meeting whose 10-minute reminder falls due in a few seconds, and
        # a monthly meeting that starts a few seconds later (its series then rolls over).
        now = datetime.now(UTC)
        cell = await asyncio.to_thread(
            seed_cell,
            deployment.db,
            secretary=secretary,
            group=group,
            joined=joined,
            now=now,
            meetings_to_make=[
                MeetingDraft(
                    kind=MeetingKind.THEMATIC,
                    starts_at=now + timedelta(minutes=10, seconds=5),
                    topic="Học tập Nghị quyết",
                    reminder_offsets=[10],
                ),
                MeetingDraft(
                    kind=MeetingKind.REGULAR,
                    starts_at=now + timedelta(seconds=12),
                    topic="Sinh hoạt thường kỳ",
                    reminder_offsets=[1],  # already past: only the start notice is left
                    recurrence=Recurrence.MONTHLY_DAY,
                ),
            ],
        )
        reminded, monthly = cell.meeting_ids
        reminder_key = f"reminder:{reminded}:%"

        await wait_for(
            lambda: _at_least(deployment.db, 1, OutboxMessage, _like(reminder_key)),
            30,
            "the reminder enqueued",
        )
        # The leader hands over between the two instants; the other goes on ticking.
        first.signal(signal.SIGTERM)
        assert await first.exited() == 0
        second = await deployment.leader()
        await deployment.start(first.name)
        await wait_for(
            lambda: _at_least(deployment.db, 2, Meeting, col(Meeting.id) != reminded),
            60,
            "the monthly series rolled over",
        )
        await wait_for(
            lambda: _at_least(deployment.db, 1, OutboxMessage, _like(f"start:{monthly}:%")),
            30,
            "the start notice enqueued",
        )
        # The reminder to each and the group, the start, and the next occurrence of the series
        # announced (once) to each and the group before its reminders.
        expected_rows = len(everyone) + 2 + len(everyone) + 1
        await wait_for(
            lambda: _all_sent(deployment.db, expected_rows), 60, "everything sent (settled)"
        )
        assert second is not first

    with deployment.db.session() as session:
        keys = session.exec(select(OutboxMessage.dedupe_key)).all()
        series_starts = session.exec(
            select(Meeting.starts_at)
            .where(col(Meeting.id) != reminded)
            .order_by(col(Meeting.starts_at))
        ).all()
        outcomes = session.exec(
            select(
                MeetingReminder.meeting_id, MeetingReminder.offset_minutes, MeetingReminder.outcome
            )
        ).all()
    deployment.db.dispose()

    # Each reminder enqueued once: one row per person and one for the group, nothing else.
    reminder_rows = [k for k in keys if k.startswith(f"reminder:{reminded}:")]
    assert len(reminder_rows) == len(everyone) + 1
    assert len([k for k in keys if k.startswith(f"start:{monthly}:")]) == 1
    announced = [k for k in keys if k.startswith("notice:")]
    assert len(announced) == len(everyone) + 1
    assert len({k.split(":")[1] for k in announced}) == 1  # one occurrence, announced once
    assert len(keys) == expected_rows
    assert sorted(o for o in outcomes if o[0] == reminded) == [
        (reminded, 0, None),  # the start, ten minutes away
        (reminded, 10, "sent"),
    ]
    # Each next meeting created once: this month's and next month's, same day, same time.
    assert len(series_starts) == 2
    this, following = (s.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")) for s in series_starts)
    assert (following.day, following.hour, following.minute) == (this.day, this.hour, this.minute)
    assert (following.year * 12 + following.month) - (this.year * 12 + this.month) == 1
    # Everyone got the reminder and the next occurrence's notice once each; the group those
    # and the start.
    assert {u.id: n for u in everyone if (n := api.sent_count(u)) != 2} == {}
    assert api.sent_count(group) == 3
    assert api.rate_limited_count == 0


def _like(pattern: str) -> Any:
    return col(OutboxMessage.dedupe_key).like(pattern)


# --- 4. a rolling restart during a send ----------------------------------------------------------

ROLLING_RECIPIENTS = 700
TALKERS = 30


async def test_a_rolling_restart_during_a_send_duplicates_nothing(
    api: FakeTelegram, pg_url: str, tmp_path: Path
) -> None:
    users = [api.add_user(f"Đảng viên {i:04d}", started=True) for i in range(ROLLING_RECIPIENTS)]
    talkers = [api.add_user(f"Người hỏi {i:02d}", started=True) for i in range(TALKERS)]
    chats = {u.id for u in users + talkers}
    api.set_latency(SEND_LATENCY)  # sends are in flight when a worker is told to stop
    async with deployment_of(api, pg_url, tmp_path) as deployment:
        await deployment.start("A", "B")
        await deployment.leader()
        rows = _bulk_rows(users, "announcement:2", datetime.now(UTC))
        assert await asyncio.to_thread(_enqueue, deployment.db, rows) == ROLLING_RECIPIENTS
        await wait_for(lambda: api.sent_count() >= 60, 60, "the leader sending")

        # People keep writing while the workers restart one after the other.
        async def talk() -> None:
            for talker in talkers:
                await api.user_sends(talker, "/trogiup")
                await asyncio.sleep(0.3)

        talking = asyncio.create_task(talk())
        exits = []
        for name in ("A", "B"):
            worker = deployment.worker(name)
            worker.signal(signal.SIGTERM)
            exits.append(await worker.exited())
            await deployment.start(name)
        sent_during_restart = api.sent_count()
        await talking

        await wait_for(
            lambda: _all_sent(deployment.db, ROLLING_RECIPIENTS + TALKERS),
            120,
            "every row sent (settled)",
        )
        await deployment.leader()

    handled = _count(deployment.db, ProcessedUpdate)
    deployment.db.dispose()

    assert exits == [0, 0]  # both stopped cleanly
    assert sent_during_restart < ROLLING_RECIPIENTS  # the send went on through the restart
    assert _not_once(api, users) == {}
    assert handled == TALKERS
    assert _not_once(api, talkers) == {}
    assert api.rate_limited_count == 0
    overall, per_chat = _limits_held(api, chats)
    assert overall <= OVERALL_PER_SECOND + BURST + JITTER
    assert per_chat == 1
