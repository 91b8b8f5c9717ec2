"""The flow engine: ordered steps, answers stored per (channel, chat, user), stale-safe buttons.

Every question is a `Screen` whose buttons carry `f|<nonce>|<step index>|<value>`; the cancel
button's data ends in `|~c` (`CANCEL_VALUE`). A channel without buttons lists the same buttons as
numbered lines — `numbered_options(screen)` gives them: 1..N in button order, row by row, and the
cancel button as 0 — and passes what the person types to `answer_text`, which reads a number, a
label or "hủy" (see `bot.flows.matching`) before any step parser sees the text. The values a
screen listed are kept in the flow state, so "2" means what the person was shown, even after a
restart or a change of the list (new roster entries, the next day's suggestions).

Opening a form while another has answers sets the other aside instead of wiping it, and the new
form's last screen offers it back (`take_up_parked`): see `bot.flows.parking` for what people
can expect.
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from bot.flows import parking
from bot.flows.buttons import (
    _STEP,
    CALLBACK_PREFIX,
    NumberedOption,
    numbered_options,
    parse_callback,
)
from bot.flows.matching import CANCEL_VALUE, Unclear, pick
from bot.flows.screens import (
    BACK_VALUE,
    PAGE,
    PAGE_PREFIX,
    REVISIT,
    SHOWN,
    back_options,
    flow_screen,
    paged,
    step_options,
)
from bot.flows.steps import (
    FREE_TEXT,
    Flow,
    FlowContext,
    FlowKey,
    InvalidAnswer,
    Option,
    Outcome,
    StaleButton,
    Step,
    StepKind,
    answered,
)
from bot.i18n import Translator
from bot.models import FlowState, Person
from bot.services.errors import DomainError
from bot.ui import Screen

MAX_TEXT_ANSWER = 4000

# The declarations live in bot.flows.steps; flows import them from here too.
__all__ = [
    "CALLBACK_PREFIX",
    "FREE_TEXT",
    "MAX_TEXT_ANSWER",
    "SHOWN",
    "Flow",
    "FlowContext",
    "FlowEngine",
    "FlowKey",
    "InvalidAnswer",
    "NumberedOption",
    "Option",
    "Outcome",
    "StaleButton",
    "Step",
    "StepKind",
    "answered",
    "numbered_options",
    "parse_callback",
]


class FlowEngine:
    """Runs declared flows against the FlowState table."""

    def __init__(self, flows: list[Flow]) -> None:
        self.flows = {flow.name: flow for flow in flows}

    # --- state --------------------------------------------------------------------------

    @staticmethod
    def state(session: Session, key: FlowKey) -> FlowState | None:
        """Returns the open flow of this person in this chat."""
        return session.exec(
            select(FlowState).where(
                FlowState.channel == key.channel,
                FlowState.chat_id == key.chat_id,
                FlowState.user_id == key.user_id,
            )
        ).first()

    def _open(self, session: Session, key: FlowKey) -> tuple[FlowState, Flow] | None:
        """Returns the open flow's state and declaration; a state whose flow no longer exists
        (removed in a new version) is dropped."""
        state = self.state(session, key)
        if state is None:
            return None
        flow = self.flows.get(state.flow)
        if flow is None:
            session.delete(state)
            return None
        return state, flow

    def cancel(self, session: Session, key: FlowKey) -> bool:
        """Closes the open flow, if any; returns whether there was one."""
        state = self.state(session, key)
        if state is None:
            return False
        session.delete(state)
        return True

    def cancel_outcome(
        self, *, session: Session, key: FlowKey, person: Person, t: Translator, now: datetime
    ) -> Outcome | None:
        """Closes the open flow (as /huy does) and returns what to show; None if none was open."""
        found = self._open(session, key)
        if found is None:
            return None
        state, flow = found
        ctx = self._context(session, t, person, key, now, state)
        return self._cancelled(flow, state, ctx)

    def _cancelled(self, flow: Flow, state: FlowState, ctx: FlowContext) -> Outcome:
        ctx.session.delete(state)
        if flow.on_cancel is not None:
            try:
                return self._finished(ctx, flow.on_cancel(ctx))
            except DomainError:
                pass  # what the form was opened from is gone: leaving it still works
        cancelled = ctx.t.gettext("Cancelled. Nothing was changed.")
        return self._finished(ctx, Screen(cancelled))

    def _finished(self, ctx: FlowContext, screen: Screen) -> Outcome:
        """A form's last screen, offering the form set aside for it back (if any)."""
        slot = parking.parked(ctx.session, ctx.key)
        if slot is not None:
            screen = parking.offer_return(ctx.t, screen, self.flows.get(slot.flow))
        return Outcome(screen=screen, finished=True)

    def _context(
        self,
        session: Session,
        t: Translator,
        person: Person,
        key: FlowKey,
        now: datetime,
        state: FlowState,
    ) -> FlowContext:
        return FlowContext(
            session=session,
            t=t,
            person=person,
            key=key,
            now=now,
            answers=dict(state.answers),
            params={k: v for k, v in state.params.items() if k not in {SHOWN, PAGE, REVISIT}},
        )

    # --- entry points -------------------------------------------------------------------

    def start(
        self,
        *,
        session: Session,
        name: str,
        key: FlowKey,
        person: Person,
        t: Translator,
        now: datetime,
        params: dict[str, Any] | None = None,
    ) -> Outcome:
        """Opens a flow and returns its first question. An open form with answers is set
        aside (bot.flows.parking) and the question says so; one without is replaced."""
        flow = self.flows[name]
        current = self.state(session, key)
        done: parking.Parked | None = None
        if current is not None and current.flow != name and current.answers:
            if current.flow in self.flows:
                done = parking.park(session, current)
            else:
                session.delete(current)
        elif current is not None:
            session.delete(current)
        session.flush()
        state = FlowState(
            channel=key.channel,
            chat_id=key.chat_id,
            user_id=key.user_id,
            flow=name,
            step=flow.steps[0].name,
            nonce=secrets.token_urlsafe(6)[:8],
            answers={},
            params=dict(params or {}),
            started_at=now,
            updated_at=now,
        )
        ctx = self._context(session, t, person, key, now, state)
        if flow.check is not None:
            flow.check(ctx)
        session.add(state)
        outcome = self._advance(flow, state, ctx, 0)
        if done is not None:
            notice = parking.parked_notice(t, done, self.flows)
            outcome.screen = Screen(f"{notice}\n\n{outcome.screen.text}", outcome.screen.keyboard)
        return outcome

    def take_up_parked(
        self, *, session: Session, key: FlowKey, person: Person, t: Translator, now: datetime
    ) -> Outcome | None:
        """Restores the form set aside in this chat at its step and asks that question again;
        an open form with answers takes its place aside. None: nothing is parked (any more)."""
        slot = parking.parked(session, key)
        if slot is None:
            return None
        flow = self.flows.get(slot.flow)
        if flow is None:
            session.delete(slot)
            return None
        restored = parking.unpark(slot)
        current = self.state(session, key)
        if current is not None and current.answers and current.flow in self.flows:
            parking.park(session, current, existing=slot)
        else:
            if current is not None:
                session.delete(current)
            session.delete(slot)
            session.flush()
        restored.updated_at = now
        session.add(restored)
        ctx = self._context(session, t, person, key, now, restored)
        screen = flow_screen(flow, restored, ctx)
        heading = parking.resumed_heading(t, flow)
        return Outcome(screen=Screen(f"{heading}\n\n{screen.text}", screen.keyboard))

    def resume(
        self, *, session: Session, key: FlowKey, person: Person, t: Translator, now: datetime
    ) -> Outcome | None:
        """Returns the current question of the open flow again (after a restart or /start)."""
        found = self._open(session, key)
        if found is None:
            return None
        state, flow = found
        ctx = self._context(session, t, person, key, now, state)
        return Outcome(screen=flow_screen(flow, state, ctx))

    def answer_text(
        self,
        *,
        session: Session,
        key: FlowKey,
        person: Person,
        t: Translator,
        now: datetime,
        text: str,
    ) -> Outcome | None:
        """Takes typed text: an option's number or label, 0/"hủy", or an answer; None: no flow."""
        found = self._open(session, key)
        if found is None:
            return None
        state, flow = found
        ctx = self._context(session, t, person, key, now, state)
        step = flow.steps[flow.index(state.step)]
        if len(text) > MAX_TEXT_ANSWER:
            # Refused before any reading: what was saved before stays as it was.
            too_long = t.gettext(
                "That is too long: at most {limit} characters. Please shorten it.",
                limit=t.number(step.limit or MAX_TEXT_ANSWER),
            )
            return self._reask(flow, state, ctx, too_long)
        options = step_options(step, ctx)
        options += paged(step, state, ctx, options)[1] + back_options(state, ctx)
        try:
            picked = pick(
                t,
                text,
                [(o.value, o.label) for o in options],
                self._shown(state, options),
                free_text=step.kind in FREE_TEXT,
                numbers_are_answers=step.kind == StepKind.NUMBER,
            )
        except Unclear as exc:
            return self._reask(flow, state, ctx, exc.message)
        if picked is not None:
            return self._choose(flow, state, ctx, step, picked)
        assert step.parse is not None
        try:
            value = step.parse(ctx, text)
        except InvalidAnswer as exc:
            return self._reask(flow, state, ctx, exc.message)
        return self._record(flow, state, ctx, step, value, typed=True)

    def answer_button(
        self,
        *,
        session: Session,
        key: FlowKey,
        person: Person,
        t: Translator,
        now: datetime,
        data: str,
    ) -> Outcome:
        """Takes a button press; raises StaleButton if it is not for the current question."""
        parsed = parse_callback(data)
        if parsed is None:
            raise StaleButton("invalid")
        nonce, step_index, value = parsed
        state = self.state(session, key)
        if state is None or state.nonce != nonce:
            owner = session.exec(select(FlowState).where(FlowState.nonce == nonce)).first()
            if owner is not None and owner.user_id != key.user_id:
                raise StaleButton("not_yours")
            raise StaleButton("stale")
        flow = self.flows.get(state.flow)
        if flow is None or flow.index(state.step) != step_index:
            raise StaleButton("stale")
        ctx = self._context(session, t, person, key, now, state)
        outcome = self._choose(flow, state, ctx, flow.steps[step_index], value)
        outcome.edit = True
        return outcome

    # --- internals ----------------------------------------------------------------------

    def _choose(
        self, flow: Flow, state: FlowState, ctx: FlowContext, step: Step, value: str
    ) -> Outcome:
        """Applies an option of the current step, tapped or typed: the one path for both."""
        if value == CANCEL_VALUE or (step.kind == StepKind.CONFIRM and value != "yes"):
            return self._cancelled(flow, state, ctx)
        if step.kind == StepKind.CONFIRM:
            return self._record(flow, state, ctx, step, True)
        if value == BACK_VALUE and REVISIT in state.params:
            # Back to the summary the steps were opened from, every answer as it was.
            ctx.answers = dict(state.params[REVISIT]["before"])
            return self._advance(flow, state, ctx, flow.index(state.params[REVISIT]["to"]))
        page = value.removeprefix(PAGE_PREFIX)
        if step.page_size is not None and page != value and _STEP.fullmatch(page):
            state.params = {**state.params, PAGE: {"step": step.name, "n": int(page)}}
            return Outcome(screen=flow_screen(flow, state, ctx))
        if value not in {o.value for o in step_options(step, ctx)}:
            raise StaleButton("stale")
        return self._record(flow, state, ctx, step, value)

    @staticmethod
    def _shown(state: FlowState, options: list[Option]) -> list[str]:
        """Returns the option values the person was last shown for this step, in order."""
        shown = state.params.get(SHOWN)
        if isinstance(shown, dict) and shown.get("step") == state.step:
            return [str(value) for value in shown.get("values", [])]
        return [o.value for o in options]

    def _record(
        self,
        flow: Flow,
        state: FlowState,
        ctx: FlowContext,
        step: Step,
        value: Any,
        *,
        typed: bool = False,
    ) -> Outcome:
        ctx.answers[step.name] = value
        if step.save is not None:
            try:
                step.save(ctx, value)
            except InvalidAnswer as exc:
                return self._reask(flow, state, ctx, exc.message)
        again = step.revisit(ctx, value) if step.revisit is not None else None
        if again:
            return self._revisit(flow, state, ctx, step, again)
        target = step.back_to(ctx, value) if step.back_to is not None else None
        if target is not None:
            position = flow.index(target)
            # Asked again from a summary: only the steps between are dropped, not the rest.
            end = flow.index(step.name) + 1 if REVISIT in state.params else len(flow.steps)
            for later in flow.steps[position:end]:
                ctx.answers.pop(later.name, None)
            return self._advance(flow, state, ctx, position)
        outcome = self._advance(flow, state, ctx, flow.index(step.name) + 1)
        echo = step.echo(ctx, typed) if step.echo is not None and not outcome.finished else None
        if echo:
            outcome.screen = replace(outcome.screen, text=f"{echo}\n\n{outcome.screen.text}")
        return outcome

    def _revisit(
        self, flow: Flow, state: FlowState, ctx: FlowContext, step: Step, names: tuple[str, ...]
    ) -> Outcome:
        """Asks `names` again (see Step.revisit), then comes back to `step`."""
        positions = [flow.index(name) for name in names]
        assert max(positions) < flow.index(step.name), "a summary revisits earlier steps"
        before = {k: v for k, v in ctx.answers.items() if k != step.name}
        state.params = {**state.params, REVISIT: {"to": step.name, "before": before}}
        for name in names:
            ctx.answers.pop(name, None)
        return self._advance(flow, state, ctx, min(positions))

    def _advance(self, flow: Flow, state: FlowState, ctx: FlowContext, position: int) -> Outcome:
        while position < len(flow.steps):
            step = flow.steps[position]
            revisit = state.params.get(REVISIT)
            if revisit is not None and step.name == revisit["to"]:
                # Back at the summary the steps were asked again from.
                state.params = {k: v for k, v in state.params.items() if k != REVISIT}
                ctx.answers.pop(step.name, None)
                revisit = None
            if step.when is not None and not step.when(ctx):
                ctx.answers.pop(step.name, None)
                position += 1
                continue
            if revisit is not None and step.name in ctx.answers:
                position += 1  # kept: only the steps asked again (and unanswered ones) are asked
                continue
            automatic = step.auto(ctx) if step.auto is not None else None
            if automatic is None:
                break
            ctx.answers[step.name] = automatic
            position += 1
        if position >= len(flow.steps):
            # A DomainError from `complete` propagates: the caller's transaction rolls back and
            # the person stays on the last question with their answers intact.
            ctx.session.delete(state)
            return self._finished(ctx, flow.complete(ctx))
        state.step = flow.steps[position].name
        state.answers = dict(ctx.answers)
        state.updated_at = ctx.now
        ctx.session.add(state)
        return Outcome(screen=flow_screen(flow, state, ctx))

    def _reask(self, flow: Flow, state: FlowState, ctx: FlowContext, error: str) -> Outcome:
        return Outcome(screen=flow_screen(flow, state, ctx), error=error)
