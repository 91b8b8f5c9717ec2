"""Flooding: commands counted per person, queued replies capped, groups kept for notices."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

import pytest
from sqlmodel import col, select

from bot.actions import build_actions
from bot.actions.core import Core, Incoming, IncomingKind
from bot.actions.turns import GROUP_REPLIES_AHEAD, handle
from bot.clock import ManualClock
from bot.config import Settings
from bot.db import Database
from bot.flood import FloodGuard, Verdict
from bot.flows.registry import build_engine
from bot.models import Account, OutboxMessage, OutboxStatus, Priority
from tests import factories

ACTIONS = build_actions()
_updates = itertools.count(1)
SLOW_DOWN = "Đồng chí gửi quá nhanh, vui lòng chậm lại một chút."


def test_the_first_command_over_the_limit_warns_then_the_rest_are_dropped(now: datetime) -> None:
    guard = FloodGuard(3)
    at = [now + timedelta(seconds=i) for i in range(6)]
    verdicts = [guard.check(channel="telegram", user_id="1", now=t) for t in at]
    assert verdicts == [Verdict.ACCEPT] * 3 + [Verdict.WARN, Verdict.DROP, Verdict.DROP]
    # Someone else is not affected.
    assert guard.check(channel="telegram", user_id="2", now=at[-1]) == Verdict.ACCEPT
    # A minute after the warning the person is heard again.
    later = at[3] + timedelta(minutes=1)
    assert guard.check(channel="telegram", user_id="1", now=later) == Verdict.ACCEPT


def test_the_window_slides(now: datetime) -> None:
    guard = FloodGuard(3)
    for i in range(30):  # one every 25 s: never more than three within a minute
        assert guard.check(channel="zalo", user_id="a", now=now + timedelta(seconds=25 * i)) == (
            Verdict.ACCEPT
        )
    assert FloodGuard(0).check(channel="zalo", user_id="a", now=now) == Verdict.ACCEPT


@pytest.fixture
def settings() -> Settings:
    return Settings(
        _env_file=None,
        TELEGRAM_BOT_TOKEN="1:test",
        CHIBOT_FLOOD_COMMANDS=5,
        CHIBOT_REPLY_QUEUE_CAP=4,
    )


@pytest.fixture
def core(db: Database, now: datetime, settings: Settings) -> Core:
    return Core(settings=settings, db=db, clock=ManualClock(now), flows=build_engine())


def send(core: Core, user: str, text: str, *, chat: str | None = None) -> str:
    update = f"f{next(_updates)}"
    head, *words = text.split()
    handle(
        core,
        ACTIONS,
        Incoming(
            channel="telegram",
            update_id=update,
            chat_id=chat or user,
            user_id=user,
            display_name=f"Người {user}",
            in_group=chat is not None,
            kind=IncomingKind.COMMAND,
            command=head[1:],
            args=tuple(words),
        ),
    )
    return update


def rows_in(core: Core, chat: str) -> list[OutboxMessage]:
    with core.db.session() as session:
        return list(
            session.exec(
                select(OutboxMessage)
                .where(OutboxMessage.chat_id == chat)
                .order_by(col(OutboxMessage.id))
            )
        )


def test_a_flood_of_commands_gets_one_slow_down_and_nothing_else(core: Core) -> None:
    core.settings.reply_queue_cap = 1000
    for _ in range(12):
        send(core, "700", "/trogiup")
    texts = [str(row.payload["text"]) for row in rows_in(core, "700")]
    assert texts.count(SLOW_DOWN) == 1
    assert len([t for t in texts if "/ngonngu" in t]) == 5
    assert texts.index(SLOW_DOWN) == len(texts) - 1


def test_one_chat_cannot_fill_the_interactive_lane(core: Core) -> None:
    core.settings.flood_commands_per_minute = 0
    for _ in range(20):
        send(core, "701", "/trogiup")
    rows = rows_in(core, "701")
    # Four replies wait; the others were not queued (one reply may take a few rows).
    assert 4 <= len(rows) < 8
    assert all(row.priority == Priority.INTERACTIVE for row in rows)
    assert all(row.expires_at is not None for row in rows)


def _group(core: Core, now: datetime) -> tuple[str, list[str]]:
    """A linked cell with three joined members; returns its group's chat id and their ids."""
    with core.db.session() as session:
        cell = factories.cell(session, now)
        ids = []
        for name in ("Trần Thị Lan", "Lê Văn Hùng", "Phạm Thị Mai", "Võ Văn Nam", "Đỗ Thị Hoa"):
            _, person = factories.joined_member(session, cell, name, now)
            account = session.exec(select(Account).where(Account.person_id == person.id)).one()
            ids.append(account.external_id)
        assert cell.org.group_chat_id is not None
        return cell.org.group_chat_id, ids


def test_replies_beyond_the_first_few_in_a_group_wait_behind_notices(
    core: Core, now: datetime
) -> None:
    core.settings.reply_queue_cap = 1000
    group, members = _group(core, now)
    for member in members:
        send(core, member, "/trogiup", chat=group)
    lanes = [row.priority for row in rows_in(core, group)]
    assert lanes == [Priority.INTERACTIVE] * GROUP_REPLIES_AHEAD + [Priority.BULK] * (
        len(members) - GROUP_REPLIES_AHEAD
    )


def test_a_guest_in_a_group_is_answered_once_an_hour(core: Core, now: datetime) -> None:
    group, _ = _group(core, now)
    for _ in range(4):
        send(core, "999001", "/trogiup", chat=group)
    assert len(rows_in(core, group)) == 1
    assert isinstance(core.clock, ManualClock)
    core.clock.advance(timedelta(hours=1))
    send(core, "999001", "/trogiup", chat=group)
    rows = rows_in(core, group)
    assert len(rows) == 2
    assert {row.status for row in rows} == {OutboxStatus.PENDING}
