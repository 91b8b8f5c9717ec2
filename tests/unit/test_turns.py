"""A turn wakes the outbox dispatcher only when it queued something (issue 14)."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

import pytest
from sqlmodel import col, func, select

from bot.actions import build_actions
from bot.actions.core import Core, Incoming, IncomingKind, Reply, Turn
from bot.actions.registry import ActionRegistry
from bot.actions.turns import handle, report_failure
from bot.clock import ManualClock
from bot.config import Settings
from bot.db import Database
from bot.flows.registry import build_engine
from bot.models import Account, MeetingKind, OutboxMessage, Priority
from bot.services import meetings, outbox
from bot.ui import choice
from tests import factories

ACTIONS = build_actions()
_updates = itertools.count(1)


class Wakes:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> None:
        self.count += 1


@pytest.fixture
def wakes() -> Wakes:
    return Wakes()


@pytest.fixture
def core(db: Database, now: datetime, wakes: Wakes) -> Core:
    return Core(
        settings=Settings(_env_file=None, TELEGRAM_BOT_TOKEN="1:test"),
        db=db,
        clock=ManualClock(now),
        flows=build_engine(),
        wake=wakes,
    )


def member_in_a_cell(core: Core, now: datetime) -> tuple[str, str, int]:
    """Returns the Telegram id and name of a joined member, and an upcoming meeting's id."""
    with core.db.session() as session:
        cell = factories.cell(session, now)
        member, person = factories.joined_member(session, cell, "Trần Thị Lan", now)
        meeting = meetings.create_meeting(
            session=session,
            org_id=cell.org.id or 0,
            draft=meetings.MeetingDraft(
                kind=MeetingKind.REGULAR, starts_at=now + timedelta(days=3), place="Hội trường"
            ),
            actor=cell.secretary,
            now=now,
        )
        account = session.exec(select(Account).where(Account.person_id == person.id)).one()
        return account.external_id, member.full_name, meeting.id or 0


def send(core: Core, user: str, name: str, **fields: object) -> int:
    """Hands one private update to the core; returns how many outbox rows it queued."""
    update = f"w{next(_updates)}"
    incoming = Incoming(
        channel="telegram",
        update_id=update,
        chat_id=user,
        user_id=user,
        display_name=name,
        **fields,  # type: ignore[arg-type]
    )
    handle(core, ACTIONS, incoming)
    with core.db.session() as session:
        return session.exec(
            select(func.count())
            .select_from(OutboxMessage)
            .where(col(OutboxMessage.dedupe_key).startswith(f"u:telegram:{update}:"))
        ).one()


def test_a_tap_answered_with_a_toast_alone_wakes_nobody(
    core: Core, now: datetime, wakes: Wakes
) -> None:
    user, name, meeting_id = member_in_a_cell(core, now)
    queued = send(
        core, user, name, kind=IncomingKind.CHOICE, choice=choice("rsvp", meeting_id, "a")
    )
    assert (queued, wakes.count) == (0, 0)


def test_a_refused_tap_answered_with_an_alert_alone_wakes_nobody(
    core: Core, now: datetime, wakes: Wakes
) -> None:
    user, name, _ = member_in_a_cell(core, now)
    queued = send(core, user, name, kind=IncomingKind.CHOICE, choice=choice("rsvp", 999, "a"))
    assert (queued, wakes.count) == (0, 0)


def test_a_reply_wakes_the_dispatcher_once(core: Core, now: datetime, wakes: Wakes) -> None:
    user, name, _ = member_in_a_cell(core, now)
    queued = send(core, user, name, kind=IncomingKind.COMMAND, command="lichhop")
    assert queued > 0
    assert wakes.count == 1


def test_an_explained_error_wakes_the_dispatcher(core: Core, now: datetime, wakes: Wakes) -> None:
    queued = send(core, "555", "Người Lạ", kind=IncomingKind.COMMAND, command="lichhop")
    assert queued == 1  # "not in a cell", queued in a transaction of its own
    assert wakes.count == 1


def test_a_message_an_action_queues_itself_wakes_the_dispatcher(core: Core, wakes: Wakes) -> None:
    """An action whose own answer is a toast, but which queues a message for someone else
    (as a flow notifying the committee does): that row wakes the dispatcher too."""

    def tell_the_secretary(turn: Turn) -> Reply:
        outbox.enqueue_message(
            session=turn.session,
            dedupe_key="told:1",
            chat_id="1",
            text="Có việc",
            priority=Priority.NORMAL,
            is_group=False,
            now=turn.now,
        )
        return Reply(toast="Đã báo")

    def nothing(_turn: Turn) -> Reply:
        return Reply(toast="Không có gì")

    registry = ActionRegistry()
    registry.choice("tell", tell_the_secretary)
    registry.choice("idle", nothing)
    for data, expected in (("idle", 0), ("tell", 1)):
        incoming = Incoming(
            channel="telegram",
            update_id=f"own-{data}",
            chat_id="9",
            user_id="9",
            display_name="Lan",
            kind=IncomingKind.CHOICE,
            choice=data,
        )
        assert handle(core, registry, incoming).toast
        assert wakes.count == expected
    with core.db.session() as session:
        assert session.exec(select(func.count()).select_from(OutboxMessage)).one() == 1


def test_a_redelivered_update_wakes_nobody(core: Core, now: datetime, wakes: Wakes) -> None:
    user, name, _ = member_in_a_cell(core, now)
    incoming = Incoming(
        channel="telegram",
        update_id="again-1",
        chat_id=user,
        user_id=user,
        display_name=name,
        kind=IncomingKind.COMMAND,
        command="lichhop",
    )
    handle(core, ACTIONS, incoming)
    handle(core, ACTIONS, incoming)
    assert wakes.count == 1


def test_a_reported_failure_wakes_the_dispatcher(core: Core, wakes: Wakes) -> None:
    incoming = Incoming(
        channel="telegram",
        update_id="broken-1",
        chat_id="42",
        user_id="42",
        display_name="Lan",
        kind=IncomingKind.TEXT,
        text="xin chào",
    )
    report_failure(core, incoming)
    assert wakes.count == 1


def test_a_replys_files_wait_behind_other_peoples_first_replies(core: Core, now: datetime) -> None:
    """/lichhop answers with a card and the meeting's calendar file: the card is interactive,
    the file in the lane behind it, so in a storm everyone's card goes before anyone's file."""
    user, name, _ = member_in_a_cell(core, now)
    update = f"w{next(_updates)}"
    handle(
        core,
        ACTIONS,
        Incoming(
            channel="telegram",
            update_id=update,
            chat_id=user,
            user_id=user,
            display_name=name,
            kind=IncomingKind.COMMAND,
            command="lichhop",
        ),
    )
    with core.db.session() as session:
        rows = session.exec(
            select(OutboxMessage)
            .where(col(OutboxMessage.dedupe_key).startswith(f"u:telegram:{update}:"))
            .order_by(col(OutboxMessage.id))
        ).all()
    lanes = [(row.method, row.priority) for row in rows]
    assert lanes == [("send_message", Priority.INTERACTIVE), ("send_document", Priority.NORMAL)]
