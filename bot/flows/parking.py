"""Setting a form aside for a shorter one, and taking it up again (suspend and resume).

What people expect, and what this does:
- A short form opened while another one is half-filled — the reason of a "Vắng có lý do" tap,
  a check-in opened from its notice — sets the first one aside (parks it) instead of wiping it.
- Starting another form by its command (/taohop while /thongbao is half-filled) parks the open
  one too, and the first question of the new form says so: "the unfinished form … has been put
  aside". Nobody loses typed answers by opening something else.
- A form with no answer yet is simply replaced: there is nothing to keep. Opening the same form
  again starts it afresh, as it always did.
- When the form that took over finishes or is cancelled, its last screen offers
  "↩️ Back to the unfinished form: <title>"; the button restores the parked form at the step
  where it was and asks that step's question again. Tapping it while yet another form is open
  swaps the two, so nothing is lost that way either.
- One parked form at most per person and chat: parking a second one drops the first, and the
  notice names the one dropped. A parked form is a row (`ParkedFlow`), so it survives restarts,
  and it expires after the same idle time as an open form (bot.services.schedule).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from bot.flows.steps import Flow, FlowKey
from bot.i18n import Translator
from bot.models import FlowState, ParkedFlow
from bot.ui import Button, Screen, choice

# The choice of the "↩️ Back to the unfinished form" button (an action, not a flow button: the
# form that showed it is closed by then).
RESUME_CHOICE = "fp"


@dataclass(frozen=True)
class Parked:
    """What parking did: the flow set aside, and the one it pushed out (if any)."""

    flow: str
    dropped: str | None


def parked(session: Session, key: FlowKey) -> ParkedFlow | None:
    """Returns the form this person set aside in this chat, if any."""
    return session.exec(
        select(ParkedFlow).where(
            ParkedFlow.channel == key.channel,
            ParkedFlow.chat_id == key.chat_id,
            ParkedFlow.user_id == key.user_id,
        )
    ).first()


def park(session: Session, state: FlowState, existing: ParkedFlow | None = None) -> Parked:
    """Moves an open form aside (closing it), replacing any form parked before in that chat;
    `existing` is that earlier parked form when the caller has already looked it up."""
    key = FlowKey(state.channel, state.chat_id, state.user_id)
    slot = existing if existing is not None else parked(session, key)
    dropped = slot.flow if slot is not None else None
    if slot is None:
        slot = ParkedFlow(
            channel=state.channel,
            chat_id=state.chat_id,
            user_id=state.user_id,
            flow=state.flow,
            step=state.step,
            nonce=state.nonce,
        )
    # Updated in place: the one row per person and chat stays one row.
    slot.flow, slot.step, slot.nonce = state.flow, state.step, state.nonce
    slot.answers, slot.params = dict(state.answers), dict(state.params)
    slot.started_at, slot.updated_at = state.started_at, state.updated_at
    session.add(slot)
    session.delete(state)
    session.flush()
    return Parked(flow=state.flow, dropped=dropped)


def unpark(slot: ParkedFlow) -> FlowState:
    """Returns the parked form as an open form again, not yet added (the caller closes any
    open one and moves or removes the parked row). It keeps its step, answers and buttons."""
    return FlowState(
        channel=slot.channel,
        chat_id=slot.chat_id,
        user_id=slot.user_id,
        flow=slot.flow,
        step=slot.step,
        nonce=slot.nonce,
        answers=dict(slot.answers),
        params=dict(slot.params),
        started_at=slot.started_at,
        updated_at=slot.updated_at,
    )


def title(t: Translator, flow: Flow | None) -> str:
    """The form's name as people see it ("the unfinished form" when it has none); titles are
    the bot's own words, safe in HTML and in a button alike."""
    if flow is None or flow.title is None:
        return t.gettext("the unfinished form")
    return t.gettext(flow.title)


def parked_notice(t: Translator, done: Parked, flows: dict[str, Flow]) -> str:
    """Says that a form was put aside (and which older one it pushed out)."""
    text = t.gettext(
        "📌 The unfinished form “{title}” has been put aside: when you are done here, you can "
        "go back to it where you left it.",
        title=title(t, flows.get(done.flow)),
    )
    if done.dropped is not None and done.dropped != done.flow:
        text += " " + t.gettext(
            "(The form “{title}” put aside earlier has been dropped.)",
            title=title(t, flows.get(done.dropped)),
        )
    return text


def offer_return(t: Translator, screen: Screen, flow: Flow | None) -> Screen:
    """Adds the "↩️ Back to the unfinished form" button under a form's last screen."""
    label = t.gettext("↩️ Back to the unfinished form: {title}", title=title(t, flow))
    keyboard = [*screen.keyboard, [Button(label, data=choice(RESUME_CHOICE))]]
    return Screen(screen.text, keyboard)


def resumed_heading(t: Translator, flow: Flow | None) -> str:
    """The line above the question a restored form asks again."""
    return t.gettext("↩️ Back to “{title}”, where you left it:", title=title(t, flow))
