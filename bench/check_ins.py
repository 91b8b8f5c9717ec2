"""Check-ins at scale: members answering a round by tapping, and opening a round for many cells.

1. Answers by tapping, against a bare python-telegram-bot echo bot (bench/interactive.py's) on
   the same fake Telegram (no rate limit on the fake), three repeats, the order rotated. A cell
   of 5,000 joined members with a "làm theo Bác" registration: each member's commitment is
   approved with one task, a monthly round is open and each member's check-in form waits at
   the task's status question (as after "📝 Báo cáo tiến độ"). All members then tap "Đang thực
   hiện" at once under a message the bot sent them: the bot saves the answer (the form's save
   hook) and moves to the next question. Printed: answers handled per second (a tap is handled
   when its callback query is answered) as a ratio to the echo bot answering the same taps
   (target >= 0.5), and answers lost (taps never answered, or answered without a stored answer).
2. SQL statements per answer (in this process, through the core as an adapter calls it) at 10
   and at 200 members, with one task and with ten: must not grow with either.
3. Opening a round for 500 cells x 40 members (built through the real join path, as
   bench/reminders.py does; each member's commitment approved with one task): one campaign tick
   at the round's opening, as a ratio of one executemany INSERT of the rows it queued into a copy
   of the world taken just before it; and its statements at 5 and at 40 members per cell (50
   cells): must not grow with members.

Run: .venv/bin/python bench/check_ins.py [--quick] [--members N] [--repeats N] [--cells N]
(--quick: 500 members, one repeat, 50 cells; a couple of minutes.)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import interactive  # noqa: E402
import reminders as reminder_bench  # noqa: E402
from sqlalchemy import event  # noqa: E402
from sqlmodel import Session, col, func, select  # noqa: E402

from bot.actions import build_actions  # noqa: E402
from bot.actions.core import Core, Incoming, IncomingKind  # noqa: E402
from bot.actions.turns import handle  # noqa: E402
from bot.clock import ManualClock  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.db import Database  # noqa: E402
from bot.flows.engine import FlowKey  # noqa: E402
from bot.flows.registry import build_engine  # noqa: E402
from bot.i18n import translator  # noqa: E402
from bot.models import Account, Member, Organisation, Person  # noqa: E402
from bot.models.commitments import (  # noqa: E402
    Cadence,
    Campaign,
    CampaignKind,
    CheckIn,
    CheckInRound,
    Commitment,
    CommitmentItem,
    CommitmentStatus,
    ItemStatus,
    RoundStatus,
)
from bot.services import campaign_tick, campaigns  # noqa: E402

TARGET_RATIO = 0.5
TICK_TARGET = 3
PER_CELL = 40
CHECKIN = "checkin"


# --- the world -----------------------------------------------------------------------------


def add_campaign(session: Session, org: Organisation, now: datetime, tasks: int = 1) -> Campaign:
    """Opens a monthly "làm theo Bác" registration in the cell and gives every joined member an
    approved commitment with `tasks` tasks (rows written directly: the writing journey is not
    what is measured)."""
    today = campaigns.local_today(org, now)
    campaign = Campaign(
        org_id=org.id or 0,
        kind=CampaignKind.FOLLOW,
        year=today.year,
        starts_on=date(today.year, today.month, 1),
        ends_on=date(today.year, 12, 31),
        deadline=date(today.year, today.month, 1),
        cadence=Cadence.MONTHLY,
        sections=campaigns.default_sections(CampaignKind.FOLLOW),
        created_at=now,
    )
    session.add(campaign)
    session.flush()
    joined = session.exec(
        select(Member).where(Member.org_id == org.id, col(Member.person_id).is_not(None))
    ).all()
    versions = [
        Commitment(
            campaign_id=campaign.id or 0,
            member_id=m.id or 0,
            status=CommitmentStatus.APPROVED,
            submitted_at=now,
            reviewed_at=now,
            created_at=now,
            updated_at=now,
        )
        for m in joined
    ]
    session.add_all(versions)
    session.flush()
    session.add_all(
        [
            CommitmentItem(
                commitment_id=v.id or 0,
                section_key="follow",
                position=n,
                text=f"Việc làm theo Bác số {n + 1}",
            )
            for v in versions
            for n in range(tasks)
        ]
    )
    session.flush()
    return campaign


def open_round(session: Session, campaign: Campaign, now: datetime) -> CheckInRound:
    round_ = CheckInRound(
        campaign_id=campaign.id or 0,
        seq=1,
        period_start=campaign.starts_on,
        opens_at=now - timedelta(hours=1),
        closes_at=now + timedelta(days=20),
        status=RoundStatus.OPEN,
    )
    session.add(round_)
    session.flush()
    return round_


def open_forms(
    session: Session, round_: CheckInRound, now: datetime, channel: str = "telegram"
) -> dict[str, str]:
    """Opens every member's check-in form at its first status question; returns, per external
    id, the callback data of "Đang thực hiện"."""
    engine = build_engine()
    flow = engine.flows[CHECKIN]
    t = translator("vi")
    rows = session.exec(
        select(Account, Person, Commitment)
        .join(Person, col(Person.id) == col(Account.person_id))
        .join(Member, col(Member.person_id) == col(Person.id))
        .join(Commitment, col(Commitment.member_id) == col(Member.id))
        .where(Commitment.campaign_id == round_.campaign_id, Account.channel == channel)
    ).all()
    items: dict[int, list[int]] = {}
    for item in session.exec(select(CommitmentItem).order_by(col(CommitmentItem.position))):
        items.setdefault(item.commitment_id, []).append(item.id or 0)
    data: dict[str, str] = {}
    for account, person, commitment in rows:
        ids = items[commitment.id or 0]
        key = FlowKey(channel, account.external_id, account.external_id)
        engine.start(
            session=session,
            name=CHECKIN,
            key=key,
            person=person,
            t=t,
            now=now,
            params={
                "round_id": round_.id,
                "items": ids,
                "numbers": list(range(1, len(ids) + 1)),
                "total": len(ids),
            },
        )
        state = engine.state(session, key)
        assert state is not None
        step = flow.index(state.step)
        data[account.external_id] = f"f|{state.nonce}|{step}|{ItemStatus.IN_PROGRESS.value}"
    return data


def build_tap_world(url: str, secretary: int, member_ids: list[int], group: int) -> dict[str, str]:
    """The cell, its members joined, the registration, the open round and the open forms."""
    interactive.build_cell(url, secretary, member_ids, group)
    db = Database(url)
    try:
        now = datetime.now(UTC)
        with db.session() as session:
            org = session.exec(select(Organisation)).one()
            campaign = add_campaign(session, org, now)
            round_ = open_round(session, campaign, now)
            return open_forms(session, round_, now)
    finally:
        db.dispose()


def stored_answers(url: str) -> int:
    db = Database(url)
    try:
        with db.session() as session:
            return int(session.exec(select(func.count()).select_from(CheckIn)).one())
    finally:
        db.dispose()


# --- 1. answers by tapping -----------------------------------------------------------------


class Taps:
    """Starts each subject against the fake and times the storm of status taps."""

    def __init__(self, api: Any, tmp: Path, members: list[Any], data: dict[str, str]) -> None:
        self.api, self.tmp, self.members, self.data = api, tmp, members, data
        self.watch = interactive.Watch()
        api.on_call(self.watch.on_call)
        self.cards: dict[int, dict[str, Any]] = {}

    async def post_cards(self) -> None:
        """The message each member taps under: the bot's own form question, sent as the bot
        (so that the bot's edit of it, the next question, has a target)."""
        import httpx

        async with httpx.AsyncClient(base_url=f"{self.api.url}/bot{interactive.TOKEN}") as http:
            for user in self.members:
                answer = await http.post(
                    "/sendMessage",
                    json={"chat_id": user.id, "text": "Việc 1 của 1: đang ở mức nào?"},
                )
                self.cards[user.id] = answer.json()["result"]

    async def run(self, subject: str, repeat: int) -> tuple[float, int]:
        api, watch = self.api, self.watch
        api.drop_pending_updates()
        watch.reset()
        process = interactive.launch(subject, self.api.url, self.tmp, repeat)
        try:
            if not await interactive.until(lambda: watch.first_poll is not None, 60):
                raise RuntimeError(
                    f"{subject} never polled; see {self.tmp}/{subject}-{repeat}.log"
                )
            await asyncio.sleep(2.0)  # settle: menus set, first tick
            watch.answered.clear()
            started = time.monotonic()
            ids = [
                await api.user_taps(user, self.cards[user.id], data=self.data[str(user.id)])
                for user in self.members
            ]
            await interactive.until(lambda: all(i in watch.answered for i in ids), 600)
            done = [watch.answered[i] for i in ids if i in watch.answered]
            lost = len(ids) - len(done)
            rate = len(done) / (max(done) - started) if done else 0.0
        finally:
            await interactive.stop(process)
        if subject == "bot":
            lost = max(
                lost, len(self.members) - stored_answers(f"sqlite:///{self.tmp}/bot-{repeat}.db")
            )
        return rate, lost


async def answers_by_tapping(count: int, repeats: int) -> list[tuple[float, float, int]]:
    """Returns, per repeat, (bot answers/s, echo answers/s, answers lost by the bot)."""
    from fake_telegram import FakeTelegram

    fake = FakeTelegram(
        token=interactive.TOKEN, bot_username=interactive.USERNAME, rate_limits=None
    )
    async with fake as api:
        with tempfile.TemporaryDirectory(prefix="chibot-checkins-") as name:
            tmp = Path(name)
            secretary = api.add_user("Bí thư", started=True)
            members = [api.add_user(f"Đảng viên {i}", started=True) for i in range(count)]
            group = api.add_group("Chi bộ Bench Báo cáo", members=members, admins=[secretary])
            built = time.monotonic()
            data = await asyncio.to_thread(
                build_tap_world,
                f"sqlite:///{tmp / 'world.db'}",
                secretary.id,
                [m.id for m in members],
                group.id,
            )
            print(
                f"built {count} members, each with a check-in form open, in "
                f"{time.monotonic() - built:.1f} s"
            )
            taps = Taps(api, tmp, members, data)
            await taps.post_cards()
            out = []
            for repeat in range(repeats):
                figures: dict[str, tuple[float, int]] = {}
                order = ("bot", "echo") if repeat % 2 == 0 else ("echo", "bot")
                for subject in order:
                    figures[subject] = await taps.run(subject, repeat)
                    rate, lost = figures[subject]
                    print(
                        f"  repeat {repeat + 1} {subject:4}: {rate:.0f} answers/s, lost {lost}",
                        flush=True,
                    )
                out.append((figures["bot"][0], figures["echo"][0], figures["bot"][1]))
            return out


# --- 2. statements per answer --------------------------------------------------------------


def statements_per_answer(members: int, tasks: int) -> int:
    """Statements of one status tap, through the core, in a cell of `members` with `tasks`."""
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/s.db"
        ids = list(range(500_000, 500_000 + members))
        interactive.build_cell(url, 499_999, ids, -42)
        db = Database(url)
        now = datetime.now(UTC)
        with db.session() as session:
            org = session.exec(select(Organisation)).one()
            campaign = add_campaign(session, org, now, tasks)
            round_ = open_round(session, campaign, now)
            data = open_forms(session, round_, now)
        core = Core(
            settings=Settings(_env_file=None, TELEGRAM_BOT_TOKEN="1:bench"),  # noqa: S106 - no real bot
            db=db,
            clock=ManualClock(now),
            flows=build_engine(),
            bot_username="chibot_bench_bot",
        )
        actions = build_actions()
        seen: list[str] = []

        def hook(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            seen.append(statement)

        user = str(ids[-1])
        event.listen(db.engine, "before_cursor_execute", hook)
        try:
            handle(
                core,
                actions,
                Incoming(
                    channel="telegram",
                    update_id="bench-1",
                    chat_id=user,
                    user_id=user,
                    display_name="Đảng viên",
                    kind=IncomingKind.CHOICE,
                    choice=data[user],
                    message_id="1",
                ),
            )
        finally:
            event.remove(db.engine, "before_cursor_execute", hook)
        with db.session() as session:
            assert session.exec(select(func.count()).select_from(CheckIn)).one() == 1
        db.dispose()
        return len(seen)


# --- 3. opening a round for many cells -----------------------------------------------------


def round_world(db: Database, cells: int, per_cell: int) -> datetime:
    """bench/reminders.py's cells, each with a registration whose first round is due; returns
    the instant just after it opens."""
    reminder_bench.build_world(db, cells, per_cell)
    with db.session() as session:
        for org in session.exec(select(Organisation)).all():
            add_campaign(session, org, reminder_bench.BUILT_AT)
        campaign = session.exec(select(Campaign)).first()
        org = session.get(Organisation, campaign.org_id) if campaign else None
        assert campaign is not None
        assert org is not None
        from bot.services import checkins

        return checkins.windows(campaign, org)[0].opens_at + timedelta(minutes=1)


def tick_at(db: Database, at: datetime) -> tuple[campaign_tick.CampaignReport, float, int]:
    seen: list[str] = []

    def hook(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", hook)
    started = time.perf_counter()
    try:
        with db.session() as session:
            report = campaign_tick.run_due(session=session, now=at)
    finally:
        event.remove(db.engine, "before_cursor_execute", hook)
    return report, time.perf_counter() - started, len(seen)


def round_statements(per_cell: int) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{tmp}/r.db")
        db.upgrade()
        at = round_world(db, 50, per_cell)
        _, _, statements = tick_at(db, at)
        db.dispose()
        return statements


def opening_a_round(cells: int, per_cell: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        world = Database(f"sqlite:///{tmp}/world.db")
        world.upgrade()
        built = time.perf_counter()
        at = round_world(world, cells, per_cell)
        print(f"built {cells} cells x {per_cell} members in {time.perf_counter() - built:.0f} s")
        world.dispose()
        reminder_bench.copy(f"{tmp}/world.db", f"{tmp}/floor.db")
        report, tick_s, _ = tick_at(world, at)
        floor = Database(f"sqlite:///{tmp}/floor.db")
        floor_s = reminder_bench.floor_seconds(world, floor)
        floor.dispose()
        world.dispose()
    few, many = round_statements(5), round_statements(40)
    print(f"rounds opened:                   {report.opened}   (expected {cells})")
    print(f"rows queued:                     {report.rows}   (expected {cells * per_cell})")
    print(f"tick time:                       {tick_s:.3f} s")
    print(f"bulk-insert floor:               {floor_s:.3f} s   (one executemany INSERT)")
    print(f"ratio tick/floor:                {tick_s / floor_s:.2f}   (target <= {TICK_TARGET})")
    print(f"statements per tick, 5/cell:     {few}   (50 cells)")
    print(f"statements per tick, 40/cell:    {many}   (50 cells; must equal the line above)")


# --- report --------------------------------------------------------------------------------


def spread(values: list[float]) -> str:
    return f"{min(values):.2f} / {statistics.median(values):.2f} / {max(values):.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cells", type=int, default=500)
    parser.add_argument("--quick", action="store_true", help="500 members, one repeat, 50 cells")
    args = parser.parse_args()
    if args.quick:
        args.members, args.repeats, args.cells = 500, 1, 50

    print("1. answers by tapping")
    runs = asyncio.run(answers_by_tapping(args.members, args.repeats))
    bots, echoes, lost = zip(*runs, strict=True)
    ratios = [b / e for b, e, _ in runs if e]
    print(f"{args.members} members, {args.repeats} repeats; min / median / max")
    print(f"answers handled/s, bot:          {spread(list(bots))}")
    print(f"taps handled/s, echo bot:        {spread(list(echoes))}")
    print(f"ratio bot/echo:                  {spread(ratios)}   (target >= {TARGET_RATIO})")
    print(f"answers lost:                    {max(lost)}   (target 0)")

    print("\n2. statements per answer")
    grid: dict[tuple[int, int], int] = {}
    for members, tasks in ((10, 1), (200, 1), (10, 10), (200, 10)):
        grid[(members, tasks)] = statements_per_answer(members, tasks)
        print(f"  {members:4d} members, {tasks:2d} tasks: {grid[(members, tasks)]} statements")
    flat = len(set(grid.values())) == 1
    print(f"statements grow with members or tasks: {'no' if flat else 'YES'}   (target no)")

    print("\n3. opening a round")
    opening_a_round(args.cells, PER_CELL)


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
