"""Showing a form's question: a flow outcome as a reply, and opening a flow from an action."""

from __future__ import annotations

from typing import Any

from bot.actions.core import IncomingKind, Reply, Turn
from bot.flows.engine import Outcome
from bot.models import FlowState
from bot.services.documents import IncomingFile
from bot.ui import Screen, split_choice


def outcome_reply(outcome: Outcome) -> Reply:
    """Turns a flow outcome into what to send (an edit for taps, an error before the question)."""
    if outcome.error:
        # One message: what was wrong, then the same question again with its buttons.
        text = f"⚠️ {outcome.error}\n\n{outcome.screen.text}"
        return Reply(screens=[Screen(text, outcome.screen.keyboard)])
    if outcome.edit:
        return Reply(edit=outcome.screen)
    return Reply(screens=[outcome.screen])


# Flow-state params key: what opened the form ("/moi" or a button's choice name), so that a
# stale button of the form can name the command that starts it again (bot.actions.turns).
OPENED_BY = "~from"


def opened_by(turn: Turn) -> str:
    """Returns what opened a form in this turn: "/<command>", or the tapped choice's name."""
    incoming = turn.incoming
    if incoming.kind == IncomingKind.COMMAND:
        return f"/{incoming.command}"
    if incoming.kind == IncomingKind.CHOICE:
        return split_choice(incoming.choice)[0]
    return ""


def open_form(turn: Turn, name: str, **params: Any) -> Outcome:
    """Opens the flow `name` for this person in this chat (replacing any open one)."""
    return turn.core.flows.start(
        session=turn.session,
        name=name,
        key=turn.key,
        person=turn.person,
        t=turn.t,
        now=turn.now,
        params={**params, OPENED_BY: opened_by(turn)},
    )


def hand_file_to_form(turn: Turn, state: FlowState, incoming: IncomingFile) -> Reply | None:
    """Gives a file the person sent to the open form's current step: kept in the form's params
    and answered with the file sentinel, which that step's parse reads."""
    from bot.flows.announcements import FILE_SENTINEL, INCOMING

    state.params = {
        **state.params,
        INCOMING: {
            "file_id": incoming.file_id,
            "file_name": incoming.file_name,
            "mime_type": incoming.mime_type,
            "size": incoming.size,
        },
    }
    turn.session.add(state)
    outcome = turn.core.flows.answer_text(
        session=turn.session,
        key=turn.key,
        person=turn.person,
        t=turn.t,
        now=turn.now,
        text=FILE_SENTINEL,
    )
    return outcome_reply(outcome) if outcome is not None else None
