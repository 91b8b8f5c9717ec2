"""Typed picks on channels without buttons: a number or a label names a listed option."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from bot.actions.core import Turn
from bot.flows.matching import match_label, typed_number
from bot.flows.steps import StepKind
from bot.models import PendingChoice
from bot.services.errors import InvalidInput

FLOW_PREFIX = "f|"


def listed_options(turn: Turn) -> list[dict[str, Any]]:
    """Returns the options the last listing screen in this chat showed, numbered."""
    pending = turn.session.exec(
        select(PendingChoice).where(
            PendingChoice.channel == turn.channel.name, PendingChoice.chat_id == turn.chat_id
        )
    ).first()
    return list(pending.options) if pending is not None else []


def number_asked(turn: Turn) -> bool:
    """Tells whether this person's open form waits for a typed number: "1" is then its answer,
    not option 1 of an earlier screen that listed choices (a card whose ✏️ opened the form)."""
    state = turn.core.flows.state(turn.session, turn.key)
    flow = turn.core.flows.flows.get(state.flow) if state is not None else None
    if flow is None or state is None:
        return False
    return flow.steps[flow.index(state.step)].kind == StepKind.NUMBER


def pick(turn: Turn, text: str) -> str | None:
    """Returns the choice data a typed number or label names; None if it names none.

    A form's own listing is left to the flow engine, which matches typed text against the
    options the person was shown (and keeps a form's free-text questions free).
    """
    options = listed_options(turn)
    if not options or any(str(o["data"]).startswith(FLOW_PREFIX) for o in options):
        return None
    if number_asked(turn):
        return None
    number = typed_number(text)
    if number is not None:
        return next((str(o["data"]) for o in options if o["n"] == number), None)
    found = match_label(
        text,
        [str(o["label"]) for o in options],
        [str(o["data"]) for o in options],
        free_text=False,
    )
    if len(found.hits) == 1:
        return str(options[found.hits[0]]["data"])
    if found.hits:
        names = ", ".join(f"{options[i]['n']}. {options[i]['label']}" for i in found.hits)
        raise InvalidInput("ambiguous_choice", typed=text.strip()[:40], options=names)
    return None


def refuse_unlisted_number(turn: Turn, text: str) -> None:
    """Explains a number nothing could read: out of the last list's range, or a list that
    belonged to a form that has ended."""
    if typed_number(text) is None:
        return
    options = listed_options(turn)
    numbers = sorted(int(o["n"]) for o in options if int(o["n"]) > 0)
    ended_form = any(str(o["data"]).startswith(FLOW_PREFIX) for o in options)
    if numbers and not ended_form:
        raise InvalidInput("choice_out_of_range", low=numbers[0], high=numbers[-1])
    raise InvalidInput("nothing_to_choose")
