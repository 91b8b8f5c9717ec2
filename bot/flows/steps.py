"""What a flow is made of: its steps, options, context, outcome and the errors its steps raise
(declared apart from the engine that runs them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlmodel import Session

from bot.i18n import Translator
from bot.models import Person
from bot.ui import Screen


class StepKind(StrEnum):
    """What a step asks for."""

    CHOICE = "choice"
    TEXT = "text"
    NUMBER = "number"  # free text read by `parse`, where a typed number is the answer itself
    CONFIRM = "confirm"


# Steps whose typed text, when it picks no option, goes to the step's parser.
FREE_TEXT = frozenset({StepKind.TEXT, StepKind.NUMBER})


@dataclass(frozen=True)
class FlowKey:
    """Who a flow belongs to: one person in one chat of one channel."""

    channel: str
    chat_id: str
    user_id: str


@dataclass(frozen=True)
class Option:
    """One choice of a CHOICE step; `value` goes in the callback data (keep it short)."""

    value: str
    label: str


@dataclass
class FlowContext:
    """Everything a step's callbacks may use."""

    session: Session
    t: Translator
    person: Person
    key: FlowKey
    now: datetime
    answers: dict[str, Any]
    params: dict[str, Any]
    # What step callbacks looked up once in this turn (e.g. the chosen cell), never stored.
    memo: dict[str, Any] = field(default_factory=dict)


class InvalidAnswer(Exception):
    """A typed answer was not acceptable; `message` is already localized."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Step:
    """One question of a flow."""

    name: str
    kind: StepKind
    prompt: Callable[[FlowContext], str]
    options: Callable[[FlowContext], list[Option]] | None = None
    parse: Callable[[FlowContext, str], Any] | None = None
    # Returns an answer to fill in without asking (e.g. the only cell a person belongs to).
    auto: Callable[[FlowContext], Any] | None = None
    # Asked only when this returns True (branches of one flow).
    when: Callable[[FlowContext], bool] | None = None
    columns: int = 1
    # Keeps the answer as a domain row as soon as it is given (a draft saved answer by answer);
    # may raise InvalidAnswer to ask again. Called for typed and tapped answers alike.
    save: Callable[[FlowContext, Any], None] | None = None
    # The most characters the answer may have, stated when a far longer text is refused (the
    # step's parse refuses the rest with the same words).
    limit: int | None = None
    # Shows the options this many at a time, with ◀ ▶; a typed label matches them all.
    page_size: int | None = None
    # Says how the answer was understood ("Day understood: Thursday, 10/12/2026 at 19:30"),
    # shown above the next question; called once the steps filled in without asking are done,
    # with True when the step's parser read a typed answer (False: an option was chosen).
    # None: nothing to say.
    echo: Callable[[FlowContext, bool], str | None] | None = None
    # Given the answer, names an earlier step to ask again (its answer and every later one are
    # dropped) instead of going on, e.g. "no, that is not the day I meant"; None: go on.
    back_to: Callable[[FlowContext, Any], str | None] | None = None
    # Given the answer, names earlier steps to ask again (their answers dropped, every other
    # answer kept), after which the form comes straight back to this step, e.g. "✏️ Place" on
    # a summary; steps after them that are answered are not asked again. While they are asked,
    # "↩️ Back" returns to this step with every answer as it was. None: go on.
    revisit: Callable[[FlowContext, Any], tuple[str, ...] | None] | None = None


@dataclass(frozen=True)
class Flow:
    """A declared multi-step form; `complete` calls the services and returns the final screen."""

    name: str
    steps: tuple[Step, ...]
    complete: Callable[[FlowContext], Screen]
    check: Callable[[FlowContext], None] | None = None
    # What to show when the person cancels (e.g. the summary the form was opened from, saying
    # what was kept); None: "Cancelled. Nothing was changed."
    on_cancel: Callable[[FlowContext], Screen] | None = None
    # The form's name as people see it (an English msgid marked with N_), e.g. when it is put
    # aside for a shorter one and offered back (bot.flows.parking).
    title: str | None = None

    def index(self, name: str) -> int:
        """Returns the position of a step."""
        for position, step in enumerate(self.steps):
            if step.name == name:
                return position
        raise KeyError(name)


@dataclass
class Outcome:
    """What the adapter should show after an input."""

    screen: Screen
    finished: bool = False
    error: str | None = None
    edit: bool = False
    extra: list[Screen] = field(default_factory=list)


class StaleButton(Exception):
    """A flow button whose flow or step is no longer current."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "not_yours", "stale" or "invalid" (not a flow button at all)


def answered(step: str, value: str) -> Callable[[FlowContext], bool]:
    """Returns a `when` predicate: ask this step only if `step` was answered with `value`."""
    return lambda ctx: ctx.answers.get(step) == value
