"""Suspend and resume: a form set aside for a shorter one, offered back when that one is done."""

from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from sqlmodel import Session, select

from bot.db import Database
from bot.flows import parking
from bot.flows.engine import Flow, FlowContext, FlowEngine, FlowKey, Outcome, Step, StepKind
from bot.i18n import translator
from bot.models import FlowState, ParkedFlow, Person
from bot.services import schedule
from bot.ui import Screen, split_choice
from tests import factories
from tests.unit.test_flow_engine import MEETING, button

T = translator("vi")
KEY = FlowKey("telegram", "11", "11")
LONG = replace(MEETING, title="New meeting")
REASONS: list[str] = []


def _reason(ctx: FlowContext, text: str) -> str:
    return text.strip()


def _noted(ctx: FlowContext) -> Screen:
    REASONS.append(str(ctx.answers["why"]))
    return Screen("Đã ghi lý do.")


SHORT = Flow(
    name="reason",
    title="Reason for absence",
    steps=(Step("why", StepKind.TEXT, lambda ctx: "Lý do vắng?", parse=_reason),),
    complete=_noted,
)
OTHER = Flow(
    name="other",
    steps=(
        Step("a", StepKind.TEXT, lambda ctx: "Câu A?", parse=_reason),
        Step("b", StepKind.TEXT, lambda ctx: "Câu B?", parse=_reason),
    ),
    complete=lambda ctx: Screen("Xong."),
)


@pytest.fixture(autouse=True)
def _clear() -> None:
    REASONS.clear()


@pytest.fixture
def person(db: Database, now: datetime) -> Person:
    with db.session() as session:
        return factories.person(session, "Nguyễn Thị Lan", now)


def engine() -> FlowEngine:
    # A fresh engine each time, as after a restart: nothing is kept in memory.
    return FlowEngine([LONG, SHORT, OTHER])


def start(session: Session, person: Person, now: datetime, name: str) -> Outcome:
    return engine().start(session=session, name=name, key=KEY, person=person, t=T, now=now)


def say(session: Session, person: Person, now: datetime, text: str) -> Outcome:
    outcome = engine().answer_text(
        session=session, key=KEY, person=person, t=T, now=now, text=text
    )
    assert outcome is not None
    return outcome


def back(session: Session, person: Person, now: datetime) -> Outcome | None:
    return engine().take_up_parked(session=session, key=KEY, person=person, t=T, now=now)


def half_filled_meeting(db: Database, person: Person, now: datetime) -> None:
    with db.session() as session:
        start(session, person, now, "meeting")
        say(session, person, now, "Chi bộ Hai")
        say(session, person, now, "Chuyên đề")  # now at the topic question


def test_a_short_form_parks_the_open_one_and_says_so(db: Database, now, person) -> None:
    half_filled_meeting(db, person, now)
    with db.session() as session:
        outcome = start(session, person, now, "reason")
    assert outcome.screen.text.endswith("Lý do vắng?")
    assert T.gettext("New meeting") in outcome.screen.text.split("\n\n")[0]
    with db.session() as session:
        assert FlowEngine.state(session, KEY).flow == "reason"
        slot = parking.parked(session, KEY)
        assert (slot.flow, slot.step, slot.answers) == (
            "meeting",
            "topic",
            {"cell": "2", "kind": "special"},
        )


def test_done_offers_the_parked_form_back_at_its_step(db: Database, now, person) -> None:
    half_filled_meeting(db, person, now)
    later = now + timedelta(hours=1)
    with db.session() as session:
        start(session, person, later, "reason")
        done = say(session, person, later, "Đi công tác")
    assert done.finished
    assert REASONS == ["Đi công tác"]
    label = T.gettext("↩️ Back to the unfinished form: {title}", title=T.gettext("New meeting"))
    assert split_choice(button(done, label)) == (parking.RESUME_CHOICE, [])
    with db.session() as session:
        assert FlowEngine.state(session, KEY) is None
        resumed = back(session, person, later)
    assert resumed is not None
    assert resumed.screen.text.endswith("Chủ đề?")
    with db.session() as session:
        assert parking.parked(session, KEY) is None
        # The restored form goes on from where it was, with the answers given before.
        say(session, person, later, "Học tập và làm theo Bác")
        assert say(session, person, later, "12").screen.text == "Xác nhận 12?"
        assert FlowEngine.state(session, KEY).answers == {
            "cell": "2",
            "kind": "special",
            "topic": "Học tập và làm theo Bác",
            "count": 12,
        }


def test_cancelling_the_short_form_offers_the_parked_one_too(db: Database, now, person) -> None:
    half_filled_meeting(db, person, now)
    with db.session() as session:
        start(session, person, now, "reason")
        cancelled = say(session, person, now, "hủy")
    assert cancelled.finished
    assert REASONS == []
    assert any(b.data == parking.RESUME_CHOICE for row in cancelled.screen.keyboard for b in row)
    with db.session() as session:
        assert back(session, person, now).screen.text.endswith("Chủ đề?")


def test_a_parked_form_survives_a_restart(db: Database, now, person) -> None:
    half_filled_meeting(db, person, now)
    with db.session() as session:
        start(session, person, now, "reason")
    # A new process: a new engine and a new session see the parked form in the database.
    later = now + timedelta(days=2)
    with db.session() as session:
        done = say(session, person, later, "Ốm")
        assert any(b.data == parking.RESUME_CHOICE for row in done.screen.keyboard for b in row)
    with db.session() as session:
        assert back(session, person, later).screen.text.endswith("Chủ đề?")
        assert FlowEngine.state(session, KEY).updated_at == later


def test_parked_forms_expire_with_open_ones(db: Database, now, person) -> None:
    half_filled_meeting(db, person, now)
    with db.session() as session:
        start(session, person, now, "reason")
    with db.session() as session:
        # Still kept just inside the idle limit …
        report = schedule.run_due(session=session, now=now + schedule.FLOW_IDLE_LIMIT)
        assert parking.parked(session, KEY) is not None
    assert report.expired_flows == 0
    with db.session() as session:
        report = schedule.run_due(
            session=session, now=now + schedule.FLOW_IDLE_LIMIT + timedelta(minutes=1)
        )
        assert session.exec(select(ParkedFlow)).all() == []
        assert session.exec(select(FlowState)).all() == []
    assert report.expired_flows == 2
    with db.session() as session:
        assert back(session, person, now + timedelta(days=31)) is None


def test_one_parked_form_at_most_and_the_dropped_one_is_named(db: Database, now, person) -> None:
    half_filled_meeting(db, person, now)
    with db.session() as session:
        start(session, person, now, "other")
        say(session, person, now, "một")
        outcome = start(session, person, now, "reason")
        assert T.gettext("New meeting") in outcome.screen.text
        assert len(session.exec(select(ParkedFlow)).all()) == 1
        assert parking.parked(session, KEY).flow == "other"
        done = say(session, person, now, "Bận")
        assert done.finished
        assert back(session, person, now).screen.text.endswith("Câu B?")


def test_a_form_without_answers_is_replaced_not_parked(db: Database, now, person) -> None:
    with db.session() as session:
        start(session, person, now, "meeting")
        outcome = start(session, person, now, "reason")
        assert outcome.screen.text == "Lý do vắng?"
        assert parking.parked(session, KEY) is None
        done = say(session, person, now, "Bận")
    assert done.screen.keyboard == []


def test_the_same_form_again_starts_afresh(db: Database, now, person) -> None:
    half_filled_meeting(db, person, now)
    with db.session() as session:
        outcome = start(session, person, now, "meeting")
        assert outcome.screen.text == "Chi bộ nào?"
        assert parking.parked(session, KEY) is None


def test_going_back_while_another_form_is_open_swaps_them(db: Database, now, person) -> None:
    half_filled_meeting(db, person, now)
    with db.session() as session:
        start(session, person, now, "other")
        say(session, person, now, "một")
        resumed = back(session, person, now)
        assert resumed.screen.text.endswith("Chủ đề?")
        assert FlowEngine.state(session, KEY).flow == "meeting"
        slot = parking.parked(session, KEY)
        assert (slot.flow, slot.step, slot.answers) == ("other", "b", {"a": "một"})


def test_nothing_parked_gives_none(db: Database, now, person) -> None:
    with db.session() as session:
        assert back(session, person, now) is None
