"""Check-ins: /tiendo (my open round, or which one), answering from the round notice, changing
one answer ("✏️ n"), evidence sent as a photo or a file, and being away for a round."""

from __future__ import annotations

from bot.actions.core import Reply, Turn
from bot.actions.forms import hand_file_to_form, open_form, outcome_reply
from bot.actions.registry import ActionRegistry, one_of
from bot.actions.roster import private_only
from bot.flows.checkins import CHECKIN_FLOW
from bot.models.commitments import LeaveReason
from bot.render_checkins import leave_label, leave_screen, round_label, round_screen
from bot.render_commitments import button_label, campaign_short, plain_label
from bot.services import checkins
from bot.services.documents import IncomingFile
from bot.services.errors import NotFound
from bot.ui import Button, Keyboard, Screen, choice


def my_rounds(turn: Turn) -> Reply:
    """Shows my open check-in round (or asks which one, when several are open)."""
    private_only(turn)
    found = checkins.rounds_of(session=turn.session, person=turn.person, now=turn.now)
    if len(found) == 1:
        return Reply(screens=[round_screen(turn.t, found[0])])
    if not found:
        text = turn.t.gettext(
            "No progress report is open for you right now. Rounds open on the cell's schedule "
            "for comrades whose commitment has been approved."
        )
        return Reply(screens=[Screen(text)])
    keyboard: Keyboard = []
    for mine in found:
        label = "📊 " + plain_label(
            f"{round_label(turn.t, mine.campaign, mine.round)}: "
            f"{campaign_short(turn.t, mine.campaign)}"
        )
        keyboard.append([Button(button_label(label), data=choice("tc", mine.round.id or 0))])
    text = turn.t.gettext("Several progress reports are open. Which one?")
    return Reply(screens=[Screen(text, keyboard)])


def show_round(turn: Turn, round_id: int) -> Reply:
    """Shows my answers in one round, with ✏️ per item and "away this round"."""
    private_only(turn)
    mine = checkins.member_round(
        session=turn.session, round_id=round_id, person=turn.person, now=turn.now
    )
    return Reply(screens=[round_screen(turn.t, mine)])


def answer_round(turn: Turn, round_id: int) -> Reply:
    """Opens the check-in form at the first item not answered yet (all items when none is)."""
    private_only(turn)
    mine = checkins.member_round(
        session=turn.session, round_id=round_id, person=turn.person, now=turn.now
    )
    numbered = list(enumerate(mine.items, start=1))
    left = [(n, i) for n, i in numbered if (i.id or 0) not in mine.answers]
    chosen = left or numbered
    return outcome_reply(
        open_form(
            turn,
            "checkin",
            round_id=round_id,
            items=[i.id for _, i in chosen],
            numbers=[n for n, _ in chosen],
            total=len(numbered),
        )
    )


def edit_answer(turn: Turn, round_id: int, item_id: int) -> Reply:
    """Opens the check-in form for one item ("✏️ n")."""
    private_only(turn)
    mine = checkins.member_round(
        session=turn.session, round_id=round_id, person=turn.person, now=turn.now
    )
    numbers = {i.id: n for n, i in enumerate(mine.items, start=1)}
    if item_id not in numbers:
        raise NotFound("item_not_found")
    return outcome_reply(
        open_form(
            turn,
            "checkin",
            round_id=round_id,
            items=[item_id],
            numbers=[numbers[item_id]],
            total=len(mine.items),
        )
    )


def ask_leave(turn: Turn, round_id: int) -> Reply:
    """Asks why I am away this round."""
    private_only(turn)
    checkins.member_round(
        session=turn.session, round_id=round_id, person=turn.person, now=turn.now
    )
    return Reply(screens=[leave_screen(turn.t, round_id)])


def set_leave(turn: Turn, round_id: int, reason: str) -> Reply:
    """Marks me away this round: not counted as missing."""
    private_only(turn)
    leave = checkins.set_leave(
        session=turn.session,
        round_id=round_id,
        person=turn.person,
        reason=LeaveReason(reason),
        now=turn.now,
    )
    mine = checkins.member_round(
        session=turn.session, round_id=round_id, person=turn.person, now=turn.now
    )
    note = turn.t.gettext(
        "🏖 Noted: away this round ({reason}). You are not counted as missing.",
        reason=leave_label(turn.t, leave.reason),
    )
    return Reply(edit=round_screen(turn.t, mine, note))


def file_received(turn: Turn, incoming: IncomingFile) -> Reply | None:
    """Takes a photo or file sent while the check-in form asks for evidence; None otherwise."""
    state = turn.core.flows.state(turn.session, turn.key)
    if state is None or state.flow != CHECKIN_FLOW.name or not state.step.startswith("e"):
        return None
    return hand_file_to_form(turn, state, incoming)


def register(actions: ActionRegistry) -> None:
    """Adds this module's commands and choices."""
    actions.command(["tiendo", "progress", "checkin"], my_rounds)
    actions.choice("tc", show_round, int)
    actions.choice("tr", answer_round, int)
    actions.choice("te", edit_answer, int, int)
    actions.choice("tl", ask_leave, int)
    actions.choice("tv", set_leave, int, one_of(*(r.value for r in LeaveReason)))
    # Zalo members send photos as evidence too, though its other forms take links.
    actions.file_hook(file_received, anywhere=True)
