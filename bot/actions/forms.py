"""Showing a form's question: a flow outcome as a reply, and opening a flow from an action."""

from __future__ import annotations

from typing import Any

from bot.actions.core import Reply, Turn
from bot.flows.engine import Outcome
from bot.ui import Screen


def outcome_reply(outcome: Outcome) -> Reply:
    """Turns a flow outcome into what to send (an edit for taps, an error before the question)."""
    if outcome.error:
        # One message: what was wrong, then the same question again with its buttons.
        text = f"⚠️ {outcome.error}\n\n{outcome.screen.text}"
        return Reply(screens=[Screen(text, outcome.screen.keyboard)])
    if outcome.edit:
        return Reply(edit=outcome.screen)
    return Reply(screens=[outcome.screen])


def open_form(turn: Turn, name: str, **params: Any) -> Outcome:
    """Opens the flow `name` for this person in this chat (replacing any open one)."""
    return turn.core.flows.start(
        session=turn.session,
        name=name,
        key=turn.key,
        person=turn.person,
        t=turn.t,
        now=turn.now,
        params=params or None,
    )
