from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session

from bot.db import Database
from bot.flows.engine import (
    CANCEL_VALUE,
    MAX_TEXT_ANSWER,
    SHOWN,
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
    numbered_options,
    parse_callback,
)
from bot.flows.matching import match_key, match_label, typed_number
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


@pytest.mark.parametrize("typed", ["3", "42", "thường xuyên", "", "👍"])
def test_unknown_typed_choice_reasks(db: Database, now: datetime, person, typed) -> None:
    with db.session() as session:
        start(session, person, now, cell="1")
        outcome = text(session, person, now, typed)
    assert outcome.error
    assert outcome.screen.text == "Loại họp?"
    assert (state(db).step, state(db).answers) == ("kind", {"cell": "1"})


def test_first_words_of_a_label_pick_it_on_a_choice(db: Database, now: datetime, person) -> None:
    with db.session() as session:
        start(session, person, now, cell="1")
        assert text(session, person, now, "họp").error is None
    assert state(db).answers == {"cell": "1", "kind": "meet"}


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


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ("", "invalid"),
        ("f|x", "invalid"),
        ("f|abc|zz|1", "invalid"),
        ("f|abc|²|1", "invalid"),
        ("jr|1|a", "invalid"),
        ("f|nonce|0|1", "stale"),
    ],
)
def test_foreign_or_garbage_callback_is_stale(
    db: Database, now: datetime, person, data, reason
) -> None:
    with db.session() as session:
        start(session, person, now)
        with pytest.raises(StaleButton) as info:
            press(session, person, now, data)
    assert info.value.reason == reason


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
        outcome = press(session, person, now, button(confirm, T.gettext("✖️ Exit")))
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


# --- typed answers: numbers, labels, words, cancel (channels without buttons) -----------------

EN = translator("en")
CANCELLED = "Cancelled. Nothing was changed."
SKIP = "~skip"
ANSWERS = [
    Option("attend", "✅ Tham dự"),
    Option("excused", "Vắng có lý do"),
    Option("absent", "Vắng không lý do"),
    Option("late", "🕐 Đến muộn"),
]


def day_options(ctx: FlowContext) -> list[Option]:
    """Three suggested days after `now` (so the list moves on at midnight)."""
    days = [ctx.now.date() + timedelta(days=n) for n in (1, 2, 3)]
    return [Option(day.isoformat(), f"Ngày {day.day}/{day.month}") for day in days]


def parse_day(ctx: FlowContext, text: str) -> str:
    parts = text.strip().split("/")
    if not all(p.isdigit() for p in parts) or len(parts) > 2:
        raise InvalidAnswer("Ngày không hợp lệ.")
    month = int(parts[1]) if len(parts) == 2 else 11
    return f"2026-{month:02d}-{int(parts[0]):02d}"


def complete_typed(ctx: FlowContext) -> Screen:
    COMPLETED.append(dict(ctx.answers))
    return Screen("Đã lưu.")


TYPED = Flow(
    name="typed",
    steps=(
        Step(
            "answer",
            StepKind.CHOICE,
            lambda ctx: "Đồng chí có tham dự?",
            options=lambda ctx: list(ANSWERS),
            columns=2,
        ),
        Step(
            "topic",
            StepKind.TEXT,
            lambda ctx: "Nội dung chính (hoặc Bỏ qua)?",
            options=lambda ctx: [Option(SKIP, "Bỏ qua")],
            parse=lambda ctx, text: text.strip(),
        ),
        Step("day", StepKind.TEXT, lambda ctx: "Ngày nào?", options=day_options, parse=parse_day),
        Step("confirm", StepKind.CONFIRM, lambda ctx: "Lưu lại?"),
    ),
    complete=complete_typed,
)


def typed_engine() -> FlowEngine:
    return FlowEngine([MEETING, TYPED])


def open_typed(session: Session, person: Person, now: datetime, t=EN) -> Outcome:
    return typed_engine().start(
        session=session, name="typed", key=KEY, person=person, t=t, now=now
    )


def say(session: Session, person: Person, now: datetime, typed: str, t=EN) -> Outcome:
    outcome = typed_engine().answer_text(
        session=session, key=KEY, person=person, t=t, now=now, text=typed
    )
    assert outcome is not None
    return outcome


def typed_to(db: Database, person: Person, now: datetime, step: str, t=EN) -> Outcome:
    """Opens the typed flow and answers by typing until `step` is asked."""
    scripted = {"answer": "1", "topic": "1", "day": "1"}
    with db.session() as session:
        outcome = open_typed(session, person, now, t)
        for _ in range(len(TYPED.steps)):
            current = FlowEngine.state(session, KEY)
            assert current is not None
            if current.step == step:
                return outcome
            outcome = say(session, person, now, scripted[current.step], t)
            assert outcome.error is None
    raise AssertionError(f"never asked {step}")


def day(now: datetime, n: int) -> str:
    return (now.date() + timedelta(days=n)).isoformat()


def test_numbered_options_follow_the_buttons_row_by_row(db, now, person) -> None:
    with db.session() as session:
        outcome = open_typed(session, person, now)
    assert [len(row) for row in outcome.screen.keyboard] == [2, 2, 1]
    numbered = numbered_options(outcome.screen)
    assert [(n.number, n.label, n.cancel) for n in numbered] == [
        (1, "✅ Tham dự", False),
        (2, "Vắng có lý do", False),
        (3, "Vắng không lý do", False),
        (4, "🕐 Đến muộn", False),
        (0, EN.gettext("✖️ Exit"), True),
    ]
    assert numbered[-1].data.endswith("|" + CANCEL_VALUE)
    assert [parse_callback(n.data)[2] for n in numbered[:4]] == [o.value for o in ANSWERS]


@pytest.mark.parametrize(
    ("typed", "value"),
    [("1", "attend"), ("2", "excused"), (" 3 ", "absent"), ("4", "late"), ("4.", "late")],
)
def test_a_typed_number_picks_the_button_with_that_number(db, now, person, typed, value) -> None:
    with db.session() as session:
        first = open_typed(session, person, now)
        outcome = say(session, person, now, typed)
    assert outcome.error is None
    assert outcome.screen.text == "Nội dung chính (hoặc Bỏ qua)?"
    assert state(db).answers == {"answer": value}
    listed = {n.number: parse_callback(n.data)[2] for n in numbered_options(first.screen)}
    assert listed[int(typed.strip(" ."))] == value


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("✅ Tham dự", "attend"),
        ("tham dự", "attend"),
        ("tham du", "attend"),
        ("  THAM   DỰ! ", "attend"),
        ("Vắng có lý do", "excused"),
        ("vang co ly do", "excused"),
        ("VẮNG KHÔNG LÝ DO", "absent"),
        ("đến muộn", "late"),
        ("den muon", "late"),
        # The first words of one label, or a run of its words, on a choice step.
        ("đến", "late"),
        ("vắng có", "excused"),
        ("vang khong", "absent"),
        ("muộn", "late"),
        ("không lý do", "absent"),
        # A choice's value still works (older clients typed it).
        ("attend", "attend"),
    ],
)
def test_a_typed_label_picks_its_option(db, now, person, typed, value) -> None:
    with db.session() as session:
        open_typed(session, person, now)
        outcome = say(session, person, now, typed)
    assert outcome.error is None
    assert state(db).answers == {"answer": value}


@pytest.mark.parametrize(
    ("typed", "named"),
    [
        ("vắng", "2. Vắng có lý do, 3. Vắng không lý do"),
        ("ly do", "2. Vắng có lý do, 3. Vắng không lý do"),
    ],
)
def test_words_fitting_several_options_reask_naming_them(db, now, person, typed, named) -> None:
    with db.session() as session:
        open_typed(session, person, now)
        outcome = say(session, person, now, typed)
    assert outcome.error == f"“{typed}” matches several choices: {named} — please type the number."
    assert outcome.screen.text == "Đồng chí có tham dự?"
    assert not outcome.finished
    assert (state(db).step, state(db).answers) == ("answer", {})


def test_the_choice_error_is_escaped_and_short(db, now, person) -> None:
    with db.session() as session:
        open_typed(session, person, now)
        outcome = say(session, person, now, "<b>" + "x" * 80)
    assert outcome.error.startswith("No choice matches “&lt;b&gt;xxx")
    assert "…”." in outcome.error
    assert "<b>" not in outcome.error


@pytest.mark.parametrize("typed", ["5", "99", "12345"])
def test_a_number_out_of_range_on_a_choice_states_the_range(db, now, person, typed) -> None:
    with db.session() as session:
        open_typed(session, person, now)
        outcome = say(session, person, now, typed)
    assert outcome.error == "Please type a number from 1 to 4, or 0 to cancel."
    assert outcome.screen.text == "Đồng chí có tham dự?"
    assert (state(db).step, state(db).answers) == ("answer", {})


def test_unknown_words_on_a_choice_reask_with_the_range(db, now, person) -> None:
    with db.session() as session:
        open_typed(session, person, now)
        outcome = say(session, person, now, "có lẽ")
    assert outcome.error == (
        "No choice matches “có lẽ”. Please type a number from 1 to 4, or 0 to cancel."
    )
    assert state(db).step == "answer"


@pytest.mark.parametrize(
    "typed", ["0", " 0 ", "hủy", "Huỷ", "HUY", "hủy bỏ", "cancel", "✖️ Exit", "thoát"]
)
@pytest.mark.parametrize("step", ["answer", "topic", "day"])
def test_zero_or_cancel_words_close_the_form(db, now, person, typed, step) -> None:
    typed_to(db, person, now, step)
    with db.session() as session:
        outcome = say(session, person, now, typed)
    assert outcome.finished
    assert outcome.error is None
    assert outcome.screen.text == CANCELLED
    assert state(db) is None
    assert COMPLETED == []


def test_zero_cancels_a_text_step_without_options(db, now, person) -> None:
    with db.session() as session:
        start(session, person, now, cell="1")
        text(session, person, now, "1")
        outcome = text(session, person, now, "0")
    assert outcome.finished
    assert outcome.screen.text == T.gettext("Cancelled. Nothing was changed.")
    assert state(db) is None


@pytest.mark.parametrize(
    ("typed", "topic"),
    [
        ("1", SKIP),
        ("Bỏ qua", SKIP),
        ("bo qua", SKIP),
        # Free text stays free on a text step: no first-words guessing, and other numbers
        # are answers for the step's parser.
        ("Bỏ", "Bỏ"),
        ("Nghị quyết 42", "Nghị quyết 42"),
        ("7", "7"),
        ("2", "2"),
    ],
)
def test_a_text_step_with_options(db, now, person, typed, topic) -> None:
    typed_to(db, person, now, "topic")
    with db.session() as session:
        outcome = say(session, person, now, typed)
    assert outcome.error is None
    assert outcome.screen.text == "Ngày nào?"
    assert state(db).answers == {"answer": "attend", "topic": topic}


def test_typing_an_option_of_a_text_step_stores_what_the_button_does(db, now, person) -> None:
    tapped = typed_to(db, person, now, "topic")
    with db.session() as session:
        press_outcome = typed_engine().answer_button(
            session=session, key=KEY, person=person, t=EN, now=now, data=button(tapped, "Bỏ qua")
        )
    by_button = state(db).answers
    assert press_outcome.edit
    assert press_outcome.error is None
    with db.session() as session:
        typed_engine().cancel(session, KEY)
    typed_to(db, person, now, "topic")
    with db.session() as session:
        typed_outcome = say(session, person, now, "1")
    assert state(db).answers == by_button == {"answer": "attend", "topic": SKIP}
    assert typed_outcome.screen.text == press_outcome.screen.text
    assert not typed_outcome.edit


@pytest.mark.parametrize(
    ("typed", "chosen"),
    [("2", 2), ("1", 1), ("3", 3), (None, 2)],  # None: the label of the second day
)
def test_a_suggested_day_by_number_or_label(db, now, person, typed, chosen) -> None:
    asked = typed_to(db, person, now, "day")
    label = [n.label for n in numbered_options(asked.screen)][1]
    with db.session() as session:
        outcome = say(session, person, now, typed or label.lower())
    assert outcome.error is None
    assert outcome.screen.text == "Lưu lại?"
    assert state(db).answers["day"] == day(now, chosen)


@pytest.mark.parametrize(("typed", "stored"), [("26", "2026-11-26"), ("26/12", "2026-12-26")])
def test_a_day_number_out_of_the_list_goes_to_the_parser(db, now, person, typed, stored) -> None:
    typed_to(db, person, now, "day")
    with db.session() as session:
        outcome = say(session, person, now, typed)
    assert outcome.error is None
    assert state(db).answers["day"] == stored


def test_the_parser_still_refuses_on_a_text_step_with_options(db, now, person) -> None:
    typed_to(db, person, now, "day")
    with db.session() as session:
        outcome = say(session, person, now, "ngày kia")
    assert outcome.error == "Ngày không hợp lệ."
    assert state(db).step == "day"


@pytest.mark.parametrize("typed", ["1", "✅ Confirm", "confirm", "CONFIRM"])
def test_confirm_by_number_or_label(db, now, person, typed) -> None:
    typed_to(db, person, now, "confirm")
    with db.session() as session:
        outcome = say(session, person, now, typed)
    assert outcome.finished
    assert outcome.screen.text == "Đã lưu."
    expected = {"answer": "attend", "topic": SKIP, "day": day(now, 1), "confirm": True}
    assert expected == COMPLETED[0]
    assert len(COMPLETED) == 1
    assert state(db) is None


@pytest.mark.parametrize("typed", ["xác nhận", "xac nhan", "✅ Xác nhận", "xác"])
def test_confirm_by_vietnamese_label(db, now, person, typed) -> None:
    typed_to(db, person, now, "confirm", t=T)
    with db.session() as session:
        assert say(session, person, now, typed, t=T).finished
    assert len(COMPLETED) == 1


@pytest.mark.parametrize("typed", ["2", "0", "no", "Cancel", "hủy", "huy"])
def test_declining_a_confirm_by_number_or_label(db, now, person, typed) -> None:
    typed_to(db, person, now, "confirm")
    with db.session() as session:
        outcome = say(session, person, now, typed)
    assert outcome.finished
    assert outcome.screen.text == CANCELLED
    assert COMPLETED == []
    assert state(db) is None


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("3", "Please type a number from 1 to 2, or 0 to cancel."),
        ("được", "No choice matches “được”. Please type a number from 1 to 2, or 0 to cancel."),
    ],
)
def test_a_confirm_reasks_what_it_cannot_read(db, now, person, typed, error) -> None:
    typed_to(db, person, now, "confirm")
    with db.session() as session:
        outcome = say(session, person, now, typed)
    assert outcome.error == error
    assert outcome.screen.text == "Lưu lại?"
    assert [n.number for n in numbered_options(outcome.screen)] == [1, 2]
    assert state(db).step == "confirm"


def test_a_number_applies_to_the_current_step_only(db, now, person) -> None:
    with db.session() as session:
        first = open_typed(session, person, now)
        say(session, person, now, "4")
        # The form moved on: "4" again is the topic (one option), not option 4 of the first step.
        assert say(session, person, now, "4").screen.text == "Ngày nào?"
        assert say(session, person, now, "3").screen.text == "Lưu lại?"
        with pytest.raises(StaleButton):
            typed_engine().answer_button(
                session=session,
                key=KEY,
                person=person,
                t=EN,
                now=now,
                data=first.screen.keyboard[0][0].data,
            )
    assert state(db).answers == {"answer": "late", "topic": "4", "day": day(now, 3)}


def test_a_number_means_what_the_screen_listed_after_the_list_moved(db, now, person) -> None:
    typed_to(db, person, now, "day")
    tomorrow = now + timedelta(days=1)
    # The second day shown yesterday is the first of today's list: "2" still means that day.
    with db.session() as session:
        outcome = FlowEngine([TYPED]).answer_text(
            session=session, key=KEY, person=person, t=EN, now=tomorrow, text="2"
        )
    assert outcome.error is None
    assert state(db).answers["day"] == day(now, 2)


def test_a_number_whose_option_is_gone_reasks_with_the_new_list(db, now, person) -> None:
    typed_to(db, person, now, "day")
    tomorrow = now + timedelta(days=1)
    with db.session() as session:
        outcome = say(session, person, tomorrow, "1")  # that day is today now: no longer listed
    assert outcome.error == (
        "The choices have changed since they were shown. Please choose again from this list."
    )
    first_listed = numbered_options(outcome.screen)[0]
    assert first_listed.label == f"Ngày {(now + timedelta(days=2)).day}/11"
    assert state(db).step == "day"
    with db.session() as session:
        assert say(session, person, tomorrow, "1").error is None  # the new list was shown
    assert state(db).answers["day"] == day(now, 2)


def test_the_listed_values_survive_a_restart_and_stay_out_of_params(db, now, person) -> None:
    typed_to(db, person, now, "day")
    saved = state(db)
    assert saved.params[SHOWN] == {"step": "day", "values": [day(now, n) for n in (1, 2, 3)]}
    seen: list[dict[str, Any]] = []
    spy = Flow(
        name="typed",
        steps=TYPED.steps,
        complete=lambda ctx: seen.append(dict(ctx.params)) or Screen("ok"),
    )
    with db.session() as session:
        FlowEngine([spy]).answer_text(
            session=session, key=KEY, person=person, t=EN, now=now, text="3"
        )
    with db.session() as session:
        assert (
            FlowEngine([spy])
            .answer_text(session=session, key=KEY, person=person, t=EN, now=now, text="1")
            .finished
        )
    assert seen == [{}]


def test_a_too_long_typed_answer_is_refused_before_matching(db, now, person) -> None:
    typed_to(db, person, now, "topic")
    with db.session() as session:
        outcome = say(session, person, now, "1" * (MAX_TEXT_ANSWER + 1))
    assert outcome.error == "That is too long: at most 4,000 characters. Please shorten it."
    assert state(db).answers == {"answer": "attend"}


def test_a_button_with_an_unknown_value_is_stale(db, now, person) -> None:
    with db.session() as session:
        first = open_typed(session, person, now)
        data = first.screen.keyboard[0][0].data.rsplit("|", 1)[0] + "|nope"
        with pytest.raises(StaleButton):
            typed_engine().answer_button(
                session=session, key=KEY, person=person, t=EN, now=now, data=data
            )
    assert state(db).answers == {}


# --- matching helpers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "key"),
    [
        ("✅ Tham dự", "tham du"),
        ("🕐 Đến muộn", "den muon"),
        ("➕ Add people and create personal links", "add people and create personal links"),
        ("90 phút (khuyến nghị)", "90 phut khuyen nghi"),
        ("Thứ Năm, 26/11", "thu nam 26 11"),
        ("🔗", ""),
    ],
)
def test_match_key(label: str, key: str) -> None:
    assert match_key(label) == key


@pytest.mark.parametrize(
    ("typed", "number"),
    [("2", 2), (" 12 ", 12), ("3.", 3), ("3)", 3), ("0", 0), ("2a", None), ("19:30", None)],
)
def test_typed_number(typed: str, number: int | None) -> None:
    assert typed_number(typed) == number


def test_two_options_with_the_same_label_are_ambiguous() -> None:
    labels = ["Nguyễn Thị Lan", "Trần Văn Hùng", "Nguyễn Thị Lan"]
    values = ["7", "8", "9"]
    assert match_label("nguyen thi lan", labels, values, free_text=False).hits == (0, 2)
    assert match_label("lan", labels, values, free_text=False).hits == (0, 2)
    assert match_label("hùng", labels, values, free_text=False).hits == (1,)
    assert match_label("hùng", labels, values, free_text=True).hits == ()
    assert match_label("hủy", labels, values, free_text=True).cancel


# --- answers kept as they are given, stated limits, going back on cancel -------------------------

SAVED: list[tuple[str, Any]] = []


def save_answer(ctx: FlowContext, value: Any) -> None:
    if value == "13":
        raise InvalidAnswer("Số 13 không lưu được.")
    SAVED.append((ctx.key.user_id, value))


DRAFT = Flow(
    name="draft",
    steps=(
        Step(
            "first",
            StepKind.TEXT,
            lambda ctx: "Mục 1?",
            parse=lambda ctx, text: text.strip(),
            save=save_answer,
            limit=20,
        ),
        Step(
            "second",
            StepKind.CHOICE,
            lambda ctx: "Mục 2?",
            options=lambda ctx: [Option("a", "Một"), Option("b", "Hai")],
            save=save_answer,
        ),
    ),
    complete=lambda ctx: Screen("Xong"),
    on_cancel=lambda ctx: Screen(f"Đã dừng; đã lưu {len(SAVED)} câu."),
)


def draft_engine() -> FlowEngine:
    return FlowEngine([DRAFT])


@pytest.fixture(autouse=True)
def _clear_saved() -> None:
    SAVED.clear()


def test_save_keeps_each_answer_as_it_is_given_typed_or_tapped(db, now, person) -> None:
    eng = draft_engine()
    with db.session() as session:
        eng.start(session=session, name="draft", key=KEY, person=person, t=T, now=now)
        second = eng.answer_text(session=session, key=KEY, person=person, t=T, now=now, text="x")
        assert second is not None
        assert SAVED == [("11", "x")]
        eng.answer_button(
            session=session, key=KEY, person=person, t=T, now=now, data=button(second, "Hai")
        )
    assert SAVED == [("11", "x"), ("11", "b")]


def test_a_save_that_refuses_asks_again_and_moves_nowhere(db, now, person) -> None:
    eng = draft_engine()
    with db.session() as session:
        eng.start(session=session, name="draft", key=KEY, person=person, t=T, now=now)
        again = eng.answer_text(session=session, key=KEY, person=person, t=T, now=now, text="13")
    assert again is not None
    assert (again.error, again.screen.text) == ("Số 13 không lưu được.", "Mục 1?")
    assert SAVED == []
    saved = state(db)
    assert saved is not None
    assert (saved.step, saved.answers) == ("first", {})


def test_a_far_too_long_answer_states_the_steps_limit(db, now, person) -> None:
    eng = draft_engine()
    with db.session() as session:
        eng.start(session=session, name="draft", key=KEY, person=person, t=T, now=now)
        outcome = eng.answer_text(
            session=session, key=KEY, person=person, t=T, now=now, text="x" * 10_000
        )
    assert outcome is not None
    assert outcome.error == "Nội dung quá dài: tối đa 20 ký tự. Đồng chí vui lòng rút gọn."
    assert SAVED == []


def test_cancel_goes_back_where_the_form_says(db, now, person) -> None:
    eng = draft_engine()
    with db.session() as session:
        eng.start(session=session, name="draft", key=KEY, person=person, t=T, now=now)
        eng.answer_text(session=session, key=KEY, person=person, t=T, now=now, text="x")
        by_zero = eng.answer_text(session=session, key=KEY, person=person, t=T, now=now, text="0")
    assert by_zero is not None
    assert (by_zero.finished, by_zero.screen.text) == (True, "Đã dừng; đã lưu 1 câu.")
    assert state(db) is None
    with db.session() as session:
        eng.start(session=session, name="draft", key=KEY, person=person, t=T, now=now)
        by_command = eng.cancel_outcome(session=session, key=KEY, person=person, t=T, now=now)
        assert by_command is not None
        assert by_command.screen.text == "Đã dừng; đã lưu 1 câu."
        assert eng.cancel_outcome(session=session, key=KEY, person=person, t=T, now=now) is None
    assert state(db) is None


def test_cancel_without_a_place_to_go_back_says_nothing_changed(db, now, person) -> None:
    with db.session() as session:
        start(session, person, now)
        outcome = engine().cancel_outcome(session=session, key=KEY, person=person, t=T, now=now)
    assert outcome is not None
    assert outcome.screen.text == T.gettext("Cancelled. Nothing was changed.")


def test_cancel_still_works_when_the_place_to_go_back_to_is_gone(db, now, person) -> None:
    def gone(ctx: FlowContext) -> Screen:
        raise NotAllowed("not_in_campaign_cell")

    flow = Flow(name="draft", steps=DRAFT.steps, complete=DRAFT.complete, on_cancel=gone)
    eng = FlowEngine([flow])
    with db.session() as session:
        eng.start(session=session, name="draft", key=KEY, person=person, t=T, now=now)
        outcome = eng.cancel_outcome(session=session, key=KEY, person=person, t=T, now=now)
    assert outcome is not None
    assert outcome.screen.text == T.gettext("Cancelled. Nothing was changed.")
    assert state(db) is None


# --- a question that wants a number typed ---------------------------------------------------

TALLY = Flow(
    name="tally",
    steps=(
        Step(
            "reached",
            StepKind.NUMBER,
            lambda ctx: "Đã đạt bao nhiêu buổi?",
            options=lambda ctx: [Option("~skip", "Bỏ qua")],
            parse=parse_count,
        ),
    ),
    complete=lambda ctx: Screen(f"Đạt: {ctx.answers['reached']}"),
)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("1", "Đạt: 1"), ("0", "Đạt: 0"), ("12", "Đạt: 12"), ("bỏ qua", "Đạt: ~skip")],
)
def test_on_a_number_question_typed_numbers_are_answers_not_choices(
    db: Database, now: datetime, person, typed: str, expected: str
) -> None:
    flows = FlowEngine([TALLY])
    with db.session() as session:
        asked = flows.start(session=session, name="tally", key=KEY, person=person, t=T, now=now)
        # Its buttons are picked by their words on a channel without buttons.
        assert [(n.label, n.word) for n in numbered_options(asked.screen)] == [
            ("Bỏ qua", True),
            ("✖️ Thoát", True),
        ]
        done = flows.answer_text(session=session, key=KEY, person=person, t=T, now=now, text=typed)
    assert done is not None
    assert (done.finished, done.screen.text) == (True, expected)


def test_on_a_number_question_the_cancel_is_a_word(db: Database, now: datetime, person) -> None:
    flows = FlowEngine([TALLY])
    with db.session() as session:
        flows.start(session=session, name="tally", key=KEY, person=person, t=T, now=now)
        done = flows.answer_text(session=session, key=KEY, person=person, t=T, now=now, text="hủy")
    assert done is not None
    assert done.finished
    assert state(db) is None


# --- echo and back_to -------------------------------------------------------------------------

ECHOED = Flow(
    name="echoed",
    steps=(
        Step(
            "number",
            StepKind.TEXT,
            lambda ctx: "Số nào?",
            options=lambda ctx: [Option("7", "Bảy")],
            parse=parse_count,
            echo=lambda ctx, typed: f"Đã hiểu: {ctx.answers['number']}" if typed else None,
        ),
        Step(
            "sure",
            StepKind.CHOICE,
            lambda ctx: f"Chắc là {ctx.answers['number']}?",
            options=lambda ctx: [Option("yes", "Đúng"), Option("no", "Không")],
            when=lambda ctx: int(ctx.answers["number"]) > 100,
            echo=lambda ctx, _: "Giữ số lớn.",
            back_to=lambda _ctx, value: "number" if value == "no" else None,
        ),
        Step("note", StepKind.TEXT, lambda ctx: "Ghi chú?", parse=lambda ctx, text: text),
    ),
    complete=lambda ctx: Screen("Xong"),
)


def _echoed(session: Session, person: Person, now: datetime) -> tuple[FlowEngine, Outcome]:
    flows = FlowEngine([ECHOED])
    first = flows.start(session=session, name="echoed", key=KEY, person=person, t=T, now=now)
    return flows, first


def test_a_typed_answer_is_said_back_above_the_next_question(
    db: Database, now: datetime, person
) -> None:
    with db.session() as session:
        flows, _ = _echoed(session, person, now)
        outcome = flows.answer_text(
            session=session, key=KEY, person=person, t=T, now=now, text="42"
        )
    assert outcome.screen.text == "Đã hiểu: 42\n\nGhi chú?"


def test_a_chosen_answer_is_not_said_back_unless_the_step_wants_it(
    db: Database, now: datetime, person
) -> None:
    with db.session() as session:
        flows, first = _echoed(session, person, now)
        outcome = flows.answer_button(
            session=session, key=KEY, person=person, t=T, now=now, data=button(first, "Bảy")
        )
    assert outcome.screen.text == "Ghi chú?"


def test_back_to_asks_an_earlier_step_again_and_drops_its_answer(
    db: Database, now: datetime, person
) -> None:
    with db.session() as session:
        flows, _ = _echoed(session, person, now)
        asked = flows.answer_text(
            session=session, key=KEY, person=person, t=T, now=now, text="500"
        )
        assert asked.screen.text == "Đã hiểu: 500\n\nChắc là 500?"
        again = flows.answer_button(
            session=session, key=KEY, person=person, t=T, now=now, data=button(asked, "Không")
        )
        assert again.screen.text == "Số nào?"
        kept = FlowEngine.state(session, KEY)
        assert kept is not None
        assert (kept.step, kept.answers) == ("number", {})
        asked = flows.answer_text(
            session=session, key=KEY, person=person, t=T, now=now, text="900"
        )
        sure = flows.answer_button(
            session=session, key=KEY, person=person, t=T, now=now, data=button(asked, "Đúng")
        )
    assert sure.screen.text == "Giữ số lớn.\n\nGhi chú?"


# --- revisit: a summary's ✏️ asks one part again and comes straight back ----------------------

REVISITED = Flow(
    name="revisited",
    steps=(
        *ECHOED.steps,
        Step(
            "summary",
            StepKind.CHOICE,
            lambda ctx: f"Số {ctx.answers['number']}, ghi chú {ctx.answers['note']}",
            options=lambda ctx: [
                Option("ok", "Xong"),
                Option("e_number", "✏️ Số"),
                Option("e_note", "✏️ Ghi chú"),
            ],
            revisit=lambda _ctx, value: {"e_number": ("number",), "e_note": ("note",)}.get(value),
        ),
    ),
    complete=lambda ctx: Screen(f"Lưu {ctx.answers['number']} / {ctx.answers['note']}"),
)


def _typed(flows: FlowEngine, session: Session, person: Person, now: datetime, text: str):
    outcome = flows.answer_text(session=session, key=KEY, person=person, t=T, now=now, text=text)
    assert outcome is not None
    return outcome


def _at_summary(db: Database, person: Person, now: datetime) -> FlowEngine:
    flows = FlowEngine([REVISITED])
    with db.session() as session:
        flows.start(session=session, name="revisited", key=KEY, person=person, t=T, now=now)
        _typed(flows, session, person, now, "12")
        summary = _typed(flows, session, person, now, "mang sổ")
    assert summary.screen.text == "Số 12, ghi chú mang sổ"
    return flows


def test_a_part_asked_again_from_the_summary_comes_straight_back(db, now, person) -> None:
    flows = _at_summary(db, person, now)
    with db.session() as session:
        number = _typed(flows, session, person, now, "2")  # ✏️ Số
        labels = [n.label for n in numbered_options(number.screen)]
        assert number.screen.text == "Số nào?"
        assert labels == ["Bảy", "↩️ Quay lại", "✖️ Thoát"]
        # Straight back: the note is not asked again, and is kept.
        summary = _typed(flows, session, person, now, "34")
        assert summary.screen.text == "Đã hiểu: 34\n\nSố 34, ghi chú mang sổ"
        done = _typed(flows, session, person, now, "1")
    assert done.finished
    assert done.screen.text == "Lưu 34 / mang sổ"


def test_back_leaves_the_part_as_it_was(db, now, person) -> None:
    flows = _at_summary(db, person, now)
    with db.session() as session:
        _typed(flows, session, person, now, "3")  # ✏️ Ghi chú
        st = FlowEngine.state(session, KEY)
        assert st is not None
        assert "note" not in st.answers
        summary = _typed(flows, session, person, now, "quay lại")
        assert summary.screen.text == "Số 12, ghi chú mang sổ"
        st = FlowEngine.state(session, KEY)
        assert st is not None
        assert st.step == "summary"
        # Outside a revisit there is no "↩️ Back" to take.
        assert "↩️ Quay lại" not in [n.label for n in numbered_options(summary.screen)]


def test_going_back_within_a_revisited_part_keeps_the_later_answers(db, now, person) -> None:
    flows = _at_summary(db, person, now)
    with db.session() as session:
        _typed(flows, session, person, now, "2")  # ✏️ Số
        sure = _typed(flows, session, person, now, "500")
        assert sure.screen.text.endswith("Chắc là 500?")
        again = _typed(flows, session, person, now, "Không")
        assert again.screen.text == "Số nào?"
        summary = _typed(flows, session, person, now, "70")
        assert summary.screen.text == "Đã hiểu: 70\n\nSố 70, ghi chú mang sổ"
