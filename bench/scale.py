"""A province on one bot: 2,000 cells × 25 members on PostgreSQL, one and two processes.

Run:  .venv/bin/python bench/scale.py            (the full run: about 12 minutes on 2 cores)
      .venv/bin/python bench/scale.py --quick    (200 cells, 1,000 messages: about 2 minutes)

Needs Debian's PostgreSQL server (`make postgres`); a throw-away cluster is started in a
temporary directory (tests/pg.py) and removed at the end.

1. The world: 2,000 cells of 25 joined members each (the secretary and 24 members, 50,000
   people) built through the real services (orgs, members, personal invites, meetings), two
   builders in parallel, into a template database every measurement copies. Each cell has a
   monthly meeting reminding 3 days, 1 day and 2 hours before.
2. The tick: the 3-day reminders of every cell are made due now, and the tick
   (`schedule.run_due`, what the leader runs, 500 cells a pass) runs until nothing is left to
   enqueue: one private row per member, 50,000 rows. Its time is printed against the floor of
   writing the same rows (rebuilt with `outbox.message_rows`) with ONE executemany INSERT into a
   copy of the world taken before the tick.
3. The send, for 1 and then for 2 `python -m chibot run` webhook processes (production lease
   settings, the tick every 5 s) behind a round-robin load balancer, against the fake Telegram
   enforcing 30/s overall and 1/s per private chat: the 3-day reminders are made due while the
   processes run, and the leader's tick enqueues the round (printed: how long until all its
   rows were queued, and the send rate meanwhile) and drains it. Once the round is queued, the
   rate of the next 3,000 reminders is the steady state (ratio of the 30/s limit), with the
   429s the fake answered and the people who got a reminder twice (both must be 0); all along
   a person taps a language button every 1.5 s (through the balancer, to either process) and
   the time until the bot's edit of that message arrives is the tap's reply latency (p95
   target <= 1.5 s). The processes are then stopped (the rest of the round is not waited for).
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, update  # noqa: E402
from sqlmodel import Session, col, select  # noqa: E402

from bot.db import Database  # noqa: E402
from bot.models import (  # noqa: E402
    MeetingKind,
    MeetingReminder,
    MemberStatus,
    OutboxMessage,
    OutboxStatus,
    Person,
    Recurrence,
    Role,
)
from bot.services import invites, meetings, members, orgs, outbox, people, schedule  # noqa: E402
from bot.ui import keyboard_from_json  # noqa: E402
from fake_telegram import FakeTelegram, FakeUser, RateLimits  # noqa: E402
from tests.pg import Cluster  # noqa: E402
from tests.procs import Deployment, launch, wait_for  # noqa: E402

TOKEN = "123456:SCALE"  # noqa: S105 - the fake server's token
BOT_USERNAME = "chibot_scale_bot"
LIMIT = 30.0
OFFSETS = [3 * 24 * 60, 24 * 60, 120]
ROUND_OFFSET = OFFSETS[0]
FIRST_USER_ID = 5_000_000_000  # Telegram ids of the world's people (the fake's own start lower)
PER_CELL = 25
TAP_EVERY = 1.5
# As deployed (chibot.process defaults), except a tick every 5 s instead of 30 s.
PRODUCTION = {
    "CHIBOT_LEADER_RENEW_SECONDS": "2",
    "CHIBOT_LEADER_EXPIRE_SECONDS": "10",
    "CHIBOT_CLAIM_LEASE_SECONDS": "15",
    "CHIBOT_OUTBOX_POLL_SECONDS": "0.5",
    "CHIBOT_TICK_SECONDS": "5",
    "CHIBOT_RETRY_BASE_SECONDS": "2",
}


def user_id(cell: int, index: int) -> int:
    """The Telegram id of person `index` (0: the secretary) of cell `cell`."""
    return FIRST_USER_ID + cell * 100 + index


# --- the world ----------------------------------------------------------------------------------


def _person(session: Session, external: int, name: str, now: datetime) -> Person:
    return people.ensure_person(
        session=session,
        channel="telegram",
        external_id=str(external),
        display_name=name,
        username=None,
        now=now,
    )


def build_cells(url: str, cells: list[int], now: datetime, starts_at: datetime) -> int:
    """Builds these cells (one transaction a cell) through the real join path; returns how
    many people joined."""
    db = Database(url)
    joined = 0
    try:
        for n in cells:
            with db.session() as session:
                name = f"Chi bộ Tỉnh {n:04d}"
                org, code = orgs.create_org(
                    session=session,
                    name=name,
                    parent_name=None,
                    timezone="Asia/Ho_Chi_Minh",
                    locale="vi",
                    now=now,
                )
                secretary = _person(session, user_id(n, 0), f"Bí thư {n}", now)
                org, _ = orgs.link_group(
                    session=session,
                    code=code,
                    channel="telegram",
                    chat_id=f"-100{n:06d}",
                    chat_title=name,
                    admin=secretary,
                    now=now,
                )
                assert org.id is not None
                added = members.add_members(
                    session=session,
                    org_id=org.id,
                    names=[f"Đảng viên Số {n} {i}" for i in range(1, PER_CELL)],
                    role=Role.MEMBER,
                    status=MemberStatus.FULL,
                    actor=secretary,
                    now=now,
                )
                for i, member in enumerate(added, start=1):
                    assert member.id is not None
                    token = invites.create_personal_invite(
                        session=session,
                        org_id=org.id,
                        member_id=member.id,
                        actor=secretary,
                        now=now,
                    )
                    person = _person(session, user_id(n, i), member.full_name, now)
                    invites.accept_personal_invite(
                        session=session, token=token, person=person, now=now
                    )
                meetings.create_meeting(
                    session=session,
                    org_id=org.id,
                    draft=meetings.MeetingDraft(
                        kind=MeetingKind.REGULAR,
                        starts_at=starts_at,
                        topic="Sinh hoạt chi bộ thường kỳ",
                        place="Phòng họp tầng 2",
                        reminder_offsets=list(OFFSETS),
                        recurrence=Recurrence.MONTHLY_DAY,
                    ),
                    actor=secretary,
                    now=now,
                )
                joined += PER_CELL
    finally:
        db.dispose()
    return joined


def build_world(url: str, cells: int) -> tuple[int, float]:
    """Builds the world with two builders in parallel; returns (people, seconds)."""
    now = datetime.now(UTC)
    starts_at = (now + timedelta(days=10)).replace(hour=12, minute=30, second=0, microsecond=0)
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=2) as pool:
        parts = [
            pool.submit(build_cells, url, list(range(k, cells, 2)), now, starts_at)
            for k in range(2)
        ]
        joined = sum(part.result() for part in parts)
    return joined, time.perf_counter() - started


def make_round_due(url: str) -> int:
    """Moves the 3-day reminders' instant to now (the round falls due); returns how many."""
    db = Database(url)
    try:
        with db.session() as session:
            result = session.execute(
                update(MeetingReminder)
                .where(
                    col(MeetingReminder.offset_minutes) == ROUND_OFFSET,
                    col(MeetingReminder.done_at).is_(None),
                )
                .values(due_at=datetime.now(UTC) - timedelta(seconds=1))
            )
            return int(result.rowcount)  # type: ignore[attr-defined]
    finally:
        db.dispose()


# --- the tick against its floor -----------------------------------------------------------------


@dataclass
class TickFigures:
    """The tick's enqueue time against one bulk INSERT of the same rows."""

    rows: int
    passes: int
    tick_seconds: float
    floor_seconds: float


def measure_tick(cluster: Cluster, template: str) -> TickFigures:
    """Runs the tick at the round's instant until it enqueues nothing more, then the floor."""
    tick_name = cluster.create_database(template=template)
    floor_name = cluster.create_database(template=template)
    make_round_due(cluster.url(tick_name))
    db = Database(cluster.url(tick_name))
    rows = passes = 0
    spent = 0.0
    try:
        while True:
            now = datetime.now(UTC)
            started = time.perf_counter()
            with db.session() as session:
                report = schedule.run_due(session=session, now=now)
            took = time.perf_counter() - started
            if not report.reminders.rows:
                break
            spent += took
            rows += report.reminders.rows
            passes += 1
        with db.session() as session:
            enqueued = list(session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))))
    finally:
        db.dispose()
    now = datetime.now(UTC)
    again: list[dict[str, Any]] = []
    for row in enqueued:
        again.extend(
            outbox.message_rows(
                dedupe_key=row.dedupe_key,
                chat_id=row.chat_id,
                text=row.payload["text"],
                keyboard=keyboard_from_json(row.payload.get("keyboard")),
                priority=row.priority,
                person_id=row.person_id,
                org_id=row.org_id,
                is_group=row.is_group,
                now=now,
            )
        )
    floor = Database(cluster.url(floor_name))
    try:
        started = time.perf_counter()
        with floor.session() as session:
            session.execute(insert(OutboxMessage.__table__), again)  # type: ignore[attr-defined]
        floor_s = time.perf_counter() - started
    finally:
        floor.dispose()
    cluster.drop_database(tick_name)
    cluster.drop_database(floor_name)
    return TickFigures(rows=rows, passes=passes, tick_seconds=spent, floor_seconds=floor_s)


# --- the send with 1 and 2 processes ------------------------------------------------------------


@dataclass
class SendFigures:
    """What one deployment did while the round drained."""

    processes: int
    measured: int
    per_second: float
    enqueue_seconds: float
    while_enqueueing: float | None
    rate_limited: int
    duplicates: int
    sent_rows_vs_received: int
    latencies: list[float]
    answers: list[float]

    def p95(self, values: list[float]) -> float:
        """The 95th percentile (the largest value when there are fewer than 20)."""
        if len(values) < 20:
            return max(values, default=float("nan"))
        return statistics.quantiles(values, n=20)[18]


async def measure_send(
    cluster: Cluster, template: str, cells: int, processes: int, messages: int, directory: Path
) -> SendFigures:
    """Starts `processes` workers on a copy of the world and measures the round's send."""
    name = cluster.create_database(template=template)
    url = cluster.url(name)
    async with FakeTelegram(
        token=TOKEN, bot_username=BOT_USERNAME, rate_limits=RateLimits(global_per_second=LIMIT)
    ) as api:
        for n in range(cells):
            for i in range(PER_CELL):
                api.add_user(f"Đảng viên {n} {i}", user_id=user_id(n, i), started=True)
        tapper = api.add_user("Người bấm nút", started=True)
        deployment = await launch(api, url, directory, **PRODUCTION)
        try:
            return await _measure(api, deployment, url, tapper, processes, cells, messages)
        finally:
            await deployment.close()
            cluster.drop_database(name)


async def _measure(
    api: FakeTelegram,
    deployment: Deployment,
    url: str,
    tapper: FakeUser,
    processes: int,
    cells: int,
    messages: int,
) -> SendFigures:
    names = ["A", "B"][:processes]
    await deployment.start(*names)
    await deployment.leader()
    await api.user_sends(tapper, "/ngonngu")
    picker_call = await api.next_call(
        "sendMessage", timeout=30, where=lambda c: c.params["chat_id"] == tapper.id
    )
    picker = picker_call.result
    assert picker is not None
    choices = [
        button["callback_data"]
        for row in picker["reply_markup"]["inline_keyboard"]
        for button in row
    ]

    def bulk_sent() -> list[float]:
        return [
            c.at
            for c in api.calls
            if c.method == "sendMessage" and c.result is not None and c.chat_id != tapper.id
        ]

    latencies: list[float] = []
    answers: list[float] = []
    done = asyncio.Event()

    async def tap() -> None:
        turn = 0
        while not done.is_set():
            started = time.monotonic()
            query = await api.user_taps(tapper, picker, data=choices[turn % len(choices)])
            turn += 1
            answer = await api.next_call(
                "answerCallbackQuery",
                timeout=60,
                where=lambda c, q=query: c.params["callback_query_id"] == q,
            )
            edit = await api.next_call(
                "editMessageText",
                timeout=60,
                where=lambda c, s=started: c.params["chat_id"] == tapper.id and c.at >= s,
            )
            answers.append(answer.at - started)
            latencies.append(edit.at - started)
            await asyncio.sleep(TAP_EVERY)

    # The round falls due while the processes run; the person taps from then on.
    due_at = time.monotonic()
    await asyncio.to_thread(make_round_due, url)
    tapping = asyncio.create_task(tap())
    expected = cells * PER_CELL

    async def enqueued() -> bool:
        return await asyncio.to_thread(_reminder_rows, url, None) >= expected

    await wait_for(enqueued, 600, "the whole round enqueued")
    enqueued_at = time.monotonic()
    # The steady state: the next `messages` reminders once the tick has queued the round.
    await wait_for(
        lambda: sum(1 for at in bulk_sent() if at >= enqueued_at) > messages,
        60 + 3 * messages / LIMIT,
        "measured",
    )
    done.set()
    await tapping
    times = bulk_sent()
    during = [at for at in times if at < enqueued_at]
    window = [at for at in times if at >= enqueued_at][: messages + 1]
    per_second = (len(window) - 1) / (window[-1] - window[0])
    transient = (len(during) - 1) / (during[-1] - during[0]) if len(during) > 10 else None
    for name in names:
        deployment.workers[name].signal(signal.SIGTERM)
    for name in names:
        await deployment.workers[name].exited()
    received: dict[int, int] = {}
    for call in api.calls:
        if call.method == "sendMessage" and call.result is not None and call.chat_id != tapper.id:
            chat = int(call.chat_id or 0)
            received[chat] = received.get(chat, 0) + 1
    duplicates = sum(n - 1 for n in received.values())
    sent_rows = await asyncio.to_thread(_reminder_rows, url, OutboxStatus.SENT)
    return SendFigures(
        processes=processes,
        measured=messages,
        per_second=per_second,
        enqueue_seconds=enqueued_at - due_at,
        while_enqueueing=transient,
        rate_limited=api.rate_limited_count,
        duplicates=duplicates,
        sent_rows_vs_received=sent_rows - sum(received.values()),
        latencies=latencies,
        answers=answers,
    )


def _reminder_rows(url: str, status: OutboxStatus | None) -> int:
    """How many reminder rows the outbox holds (with that status)."""
    db = Database(url)
    where = [col(OutboxMessage.dedupe_key).startswith("reminder:")]
    if status is not None:
        where.append(col(OutboxMessage.status) == status)
    try:
        with db.session() as session:
            return int(
                session.exec(select(func.count()).select_from(OutboxMessage).where(*where)).one()
            )
    finally:
        db.dispose()


def _rate(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


# --- main ---------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="200 cells, 1,000 messages")
    parser.add_argument("--cells", type=int, help="cells of 25 members (default 2,000)")
    parser.add_argument("--messages", type=int, help="reminders measured (default 3,000)")
    args = parser.parse_args()
    cells = args.cells or (200 if args.quick else 2000)
    messages = args.messages or (1000 if args.quick else 3000)

    cluster = Cluster.start()
    try:
        template = cluster.create_database()
        db = Database(cluster.url(template))
        db.upgrade()
        db.dispose()
        joined, built = build_world(cluster.url(template), cells)
        print(
            f"world:                 {cells} cells x {PER_CELL} = {joined} joined members"
            f"   (built in {built:.0f} s through the real join path, 2 builders)"
        )
        tick = measure_tick(cluster, template)
        print(
            f"reminder round:        {tick.rows} rows in {tick.passes} tick passes"
            f"   (expected {joined})"
        )
        print(f"tick enqueue time:     {tick.tick_seconds:.2f} s")
        print(f"bulk-INSERT floor:     {tick.floor_seconds:.2f} s   (one executemany INSERT)")
        print(
            f"ratio tick/floor:      {tick.tick_seconds / tick.floor_seconds:.2f}"
            "   (1.0 = the tick costs what writing its rows costs)"
        )
        results = []
        with tempfile.TemporaryDirectory(prefix="chibot-scale-") as logs:
            for processes in (1, 2):
                results.append(
                    asyncio.run(
                        measure_send(cluster, template, cells, processes, messages, Path(logs))
                    )
                )
    finally:
        cluster.stop()

    one, two = results
    rows = [
        ("processes", "d", lambda r: r.processes, ""),
        ("round enqueued in (s)", ".1f", lambda r: r.enqueue_seconds, "(by the leader's tick)"),
        ("messages/s meanwhile", "s", lambda r: _rate(r.while_enqueueing), "(while it enqueues)"),
        ("reminders measured", "d", lambda r: r.measured, "(then: the steady state)"),
        ("messages/s", ".2f", lambda r: r.per_second, ""),
        ("ratio of the 30/s limit", ".3f", lambda r: r.per_second / LIMIT, "(target >= 0.95)"),
        ("429 responses", "d", lambda r: r.rate_limited, "(target 0)"),
        ("duplicates", "d", lambda r: r.duplicates, "(target 0)"),
        ("sent rows - received", "d", lambda r: r.sent_rows_vs_received, "(0: the ledger agrees)"),
        ("tap reply p50 (s)", ".3f", lambda r: statistics.median(r.latencies), "(the edit)"),
        ("tap reply p95 (s)", ".3f", lambda r: r.p95(r.latencies), "(target <= 1.5 s)"),
        ("tap answer p95 (s)", ".3f", lambda r: r.p95(r.answers), "(the toast)"),
        ("tap samples", "d", lambda r: len(r.latencies), ""),
    ]
    print(f"{'':26s}{'1 process':>12s}{'2 processes':>14s}")
    for label, fmt, value, note in rows:
        line = f"{label:26s}{format(value(one), fmt):>12s}{format(value(two), fmt):>14s}   {note}"
        print(line.rstrip())


if __name__ == "__main__":
    main()
