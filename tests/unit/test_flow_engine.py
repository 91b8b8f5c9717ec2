from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session

from bot.db import Database
from bot.flows.engine import (
    CANCEL_VALUE,
    Flow,
    FlowContext,
    FlowEngine,
    FlowKey,
    InvalidAnswer,
    Option,
    Outcome,
    StaleButton,
    Step,
    StepKind,
    parse_callback,
)
from bot.i18n import translator
from bot.models import FlowState, Person
from bot.services.errors import Conflict, NotAllowed
from bot.ui import Screen
from tests import factories

T = translator("vi")
KEY = FlowKey("telegram", "-100", "11")
OTHER_USER = FlowKey("telegram", "-100", "12")
COMPLETED: list[dict[str, Any]] = []


def parse_topic(ctx: FlowContext, text: str) -> str:
    if len(text.strip()) < 3:
        raise InvalidAnswer("Chủ đề quá ngắn.")
    return text.strip()


def parse_count(ctx: FlowContext, text: str) -> int:
    if not text.strip().isdigit():
        raise InvalidAnswer("Hãy nhập một số.")
    return int(text)


def complete(ctx: FlowContext) -> Screen:
    if ctx.answers["count"] == 13:
        raise Conflict("unlucky")
    COMPLETED.append(dict(ctx.answers))
    return Screen(f"Xong: {ctx.answers['count']}")


def check(ctx: FlowContext) -> None:
    if ctx.params.get("forbid"):
        raise NotAllowed("secretary_only")


MEETING = Flow(
    name="meeting",
    check=check,
    steps=(
        Step(
            "cell",
            StepKind.CHOICE,
            lambda ctx: "Chi bộ nào?",
            options=lambda ctx: [Option("1", "Chi bộ Một"), Option("2", "Chi bộ Hai")],
            auto=lambda ctx: ctx.params.get("cell"),
        ),
        Step(
            "kind",
            StepKind.CHOICE,
            lambda ctx: "Loại họp?",
            options=lambda ctx: [Option("meet", "Họp thường kỳ"), Option("special", "Chuyên đề")],
        ),
        Step(
            "topic",
            StepKind.TEXT,
            lambda ctx: "Chủ đề?",
            parse=parse_topic,
            when=lambda ctx: ctx.answers.get("kind") == "special",
        ),
        Step("count", StepKind.TEXT, lambda ctx: "Bao nhiêu người?", parse=parse_count),
        Step("confirm", StepKind.CONFIRM, lambda ctx: f"Xác nhận {ctx.answers['count']}?"),
    ),
    complete=complete,
)


@pytest.fixture(autouse=True)
def _clear_completed() -> None:
    COMPLETED.clear()


@pytest.fixture
def person(db: Database, now: datetime) -> Person:
    with db.session() as session:
        return factories.person(session, "Nguyễn Thị Lan", now)


def engine() -> FlowEngine:
    return FlowEngine([MEETING])


def start(
    session: Session, person: Person, now: datetime, key: FlowKey = KEY, **params
) -> Outcome:
    return engine().start(
        session=session, name="meeting", key=key, person=person, t=T, now=now, params=params
    )


def text(session: Session, person: Person, now: datetime, answer: str, key: FlowKey = KEY):
    return engine().answer_text(session=session, key=key, person=person, t=T, now=now, text=answer)


def press(session: Session, person: Person, now: datetime, data: str, key: FlowKey = KEY):
    return engine().answer_button(session=session, key=key, person=person, t=T, now=now, data=data)


def button(outcome: Outcome, label: str) -> str:
    for row in outcome.screen.keyboard:
        for b in row:
            if b.text == label:
                assert b.data is not None
                return b.data
    raise AssertionError(f"no button {label!r} in {outcome.screen.keyboard}")


def state(db: Database, key: FlowKey = KEY) -> FlowState | None:
    with db.session() as session:
        return FlowEngine.state(session, key)


def test_start_asks_first_question_with_buttons(db: Database, now: datetime, person) -> None:
    with db.session() as session:
        outcome = start(session, person, now)
    assert outcome.screen.text == "Chi bộ nào?"
    labels = [b.text for row in outcome.screen.keyboard for b in row]
    assert labels[:2] == ["Chi bộ Một", "Chi bộ Hai"]
    assert len(labels) == 3  # plus the cancel button
    nonce, step, value = parse_callback(button(outcome, "Chi bộ Hai"))
    assert (nonce, step, value) == (state(db).nonce, 0, "2")
    assert all(len(b.data.encode()) <= 64 for row in outcome.screen.keyboard for b in row)


def test_full_run_by_buttons_and_text(db: Database, now: datetime, person) -> None:
    with db.session() as session:
        first = start(session, person, now)
        second = press(session, person, now, button(first, "Chi bộ Hai"))
        assert second.screen.text == "Loại họp?"
        third = press(session, person, now, button(second, "Họp thường kỳ"))
        assert third.screen.text == "Bao nhiêu người?"  # the topic step is skipped
        fourth = text(session, person, now, " 12 ")
        assert fourth.screen.text == "Xác nhận 12?"
        done = press(session, person, now, button(fourth, T.gettext("✅ Confirm")))
    assert done.finished
    assert done.screen.text == "Xong: 12"
    assert COMPLETED == [{"cell": "2", "kind": "meet", "count": 12, "confirm": True}]
    assert state(db) is None


def test_auto_fills_a_step(db: Database, now: datetime, person) -> None:
    with db.session() as session:
        outcome = start(session, person, now, cell="1")
    assert outcome.screen.text == "Loại họp?"
    saved = state(db)
    assert (saved.step, saved.answers) == ("kind", {"cell": "1"})


def test_branch_and_invalid_text_reasks(db: Database, now: datetime, person) -> None:
    with db.session() as session:
        start(session, person, now, cell="1")
        assert text(session, person, now, "2").screen.text == "Chủ đề?"
        again = text(session, person, now, "ab")
    assert again.error == "Chủ đề quá ngắn."
    assert again.screen.text == "Chủ đề?"
    assert not again.finished
    assert state(db).step == "topic"
    with db.session() as session:
        assert text(session, person, now, "x" * 4001).error is not None
        assert text(session, person, now, "Nghị quyết 42").screen.text == "Bao nhiêu người?"
    assert state(db).answers == {"cell": "1", "kind": "special", "topic": "Nghị quyết 42"}


@pytest.mark.parametrize("typed", ["2", "Chuyên đề", "chuyen de", " CHUYÊN ĐỀ "])
def test_choice_by_typed_number_or_label(db: Database, now: datetime, person, typed) -> None:
    with db.session() as session:
        start(session, person, now, cell="1")
        outcome = text(session, person, now, typed)
    assert outcome.error is None
    assert state(db).answers["kind"] == "special"


@pytest.mark.parametrize("typed", ["0", "3", "họp", ""])
def test_unknown_typed_choice_reasks(db: Database, now: datetime, person, typed) -> None:
    with db.session() as session:
        start(session, person, now, cell="1")
        outcome = text(session, person, now, typed)
    assert outcome.error
    assert outcome.screen.text == "Loại họp?"
    assert state(db).step == "kind"


def test_state_survives_a_restart(db: Database, now: datetime, person) -> None:
    with db.session() as session:
        start(session, person, now, cell="2")
        text(session, person, now, "1")
    later = now + timedelta(hours=3)
    with db.session() as session:
        resumed = FlowEngine([MEETING]).resume(
            session=session, key=KEY, person=person, t=T, now=later
        )
    assert resumed.screen.text == "Bao nhiêu người?"
    saved = state(db)
    assert (saved.step, saved.answers, saved.updated_at) == (
        "count",
        {"cell": "2", "kind": "meet"},
        now,
    )
    with db.session() as session:
        confirm = FlowEngine([MEETING]).answer_text(
            session=session, key=KEY, person=person, t=T, now=later, text="7"
        )
        press(session, person, later, button(confirm, T.gettext("✅ Confirm")))
    assert COMPLETED == [{"cell": "2", "kind": "meet", "count": 7, "confirm": True}]


def test_button_from_an_earlier_step_is_stale(db: Database, now: datetime, person) -> None:
    with db.session() as session:
        first = start(session, person, now)
        press(session, person, now, button(first, "Chi bộ Một"))
        with pytest.raises(StaleButton) as info:
            press(session, person, now, button(first, "Chi bộ Hai"))
    assert info.value.reason == "stale"
    assert state(db).answers == {"cell": "1"}


def test_button_of_another_users_flow_is_not_yours(db: Database, now: datetime, person) -> None:
    with db.session() as session:
        first = start(session, person, now)
        with pytest.raises(StaleButton) as info:
            press(session, person, now, button(first, "Chi bộ Một"), key=OTHER_USER)
        assert info.value.reason == "not_yours"
        start(session, person, now, key=OTHER_USER)  # the other user's own flow changes nothing
        with pytest.raises(StaleButton) as info:
            press(session, person, now, button(first, "Chi bộ Một"), key=OTHER_USER)
        assert info.value.reason == "not_yours"
    assert state(db).step == "cell"
    assert state(db, OTHER_USER).step == "cell"


@pytest.mark.parametrize("data", ["", "f|x", "f|abc|zz|1", "jr|1|a", "f|nonce|0|1"])
def test_foreign_or_garbage_callback_is_stale(db: Database, now: datetime, person, data) -> None:
    with db.session() as session:
        start(session, person, now)
        with pytest.raises(StaleButton) as info:
            press(session, person, now, data)
    assert info.value.reason == "stale"


def test_cancel_button_deletes_state(db: Database, now: datetime, person) -> None:
    with db.session() as session:
        first = start(session, person, now)
        cancel = first.screen.keyboard[-1][0].data
        assert cancel.endswith("|" + CANCEL_VALUE)
        outcome = press(session, person, now, cancel)
    assert outcome.finished
    assert outcome.screen.text == T.gettext("Cancelled. Nothing was changed.")
    assert state(db) is None
    with db.session() as session:
        assert text(session, person, now, "1") is None
        with pytest.raises(StaleButton):
            press(session, person, now, button(first, "Chi bộ Một"))


def test_confirm_no_button_cancels(db: Database, now: datetime, person) -> None:
    with db.session() as session:
        start(session, person, now, cell="1")
        text(session, person, now, "1")
        confirm = text(session, person, now, "3")
        outcome = press(session, person, now, button(confirm, T.gettext("✖️ Cancel")))
    assert outcome.finished
    assert COMPLETED == []
    assert state(db) is None


def test_confirm_by_typing_its_number(db: Database, now: datetime, person) -> None:
    with db.session() as session:
        start(session, person, now, cell="1")
        text(session, person, now, "1")
        text(session, person, now, "3")
        assert text(session, person, now, "1").finished
    assert len(COMPLETED) == 1


@pytest.mark.parametrize("typed", ["2", "no"])
def test_declining_a_confirm_by_typing_changes_nothing(db, now, person, typed) -> None:
    with db.session() as session:
        start(session, person, now, cell="1")
        text(session, person, now, "1")
        text(session, person, now, "3")
        text(session, person, now, typed)
    assert COMPLETED == []


def test_domain_error_in_complete_keeps_last_step(db: Database, now: datetime, person) -> None:
    with db.session() as session:
        start(session, person, now, cell="1")
        text(session, person, now, "1")
        confirm = text(session, person, now, "13")
    with pytest.raises(Conflict), db.session() as session:
        press(session, person, now, button(confirm, T.gettext("✅ Confirm")))
    saved = state(db)
    assert saved is not None
    assert (saved.step, saved.answers) == ("confirm", {"cell": "1", "kind": "meet", "count": 13})
    # The same button is still current (not stale): pressing it reaches `complete` again.
    with pytest.raises(Conflict), db.session() as session:
        press(session, person, now, button(confirm, T.gettext("✅ Confirm")))
    assert state(db).step == "confirm"


def test_start_replaces_open_flow_and_check_refuses(db: Database, now: datetime, person) -> None:
    with db.session() as session:
        first = start(session, person, now)
        start(session, person, now, cell="2")
        with pytest.raises(StaleButton):
            press(session, person, now, button(first, "Chi bộ Một"))
        assert engine().cancel(session, KEY) is True
        assert engine().cancel(session, KEY) is False
    with pytest.raises(NotAllowed), db.session() as session:
        start(session, person, now, forbid=True)
    assert state(db) is None


def test_state_of_an_unknown_flow_is_dropped(db: Database, now: datetime, person) -> None:
    with db.session() as session:
        start(session, person, now)
    with db.session() as session:
        assert FlowEngine([]).resume(session=session, key=KEY, person=person, t=T, now=now) is None
    assert state(db) is None
